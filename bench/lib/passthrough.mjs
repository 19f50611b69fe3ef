// The shape of every transform stage with nothing to change.
//   strict:   parse every line in full, write the line on as read
//   lazy:     read only the RECORD envelope (type, stream), write the line on as read
//   reencode: parse every line in full and serialize it again
import { MessageWriter, readMessageBatches } from '@tapline/protocol';

const mode = process.argv[2] ?? 'strict';
const writer = new MessageWriter(process.stdout);
for await (const batch of readMessageBatches(process.stdin, { lazyRecords: mode === 'lazy' })) {
  for (const { message, raw } of batch) {
    if (mode === 'reencode') writer.write(message);
    else writer.writeLine(raw);
  }
  writer.flush();
  if (process.stdout.writableNeedDrain) await writer.drain();
}
await writer.close();
