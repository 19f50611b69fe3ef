import { describe, expect, it } from 'vitest';
import {
  chooseNumericCoercion,
  coerceNumericString,
  coerceNumericStrings,
  exceedsInt64,
  formatInstant,
  hasPhoneNameHint,
  hasZipNameHint,
  isDateLike,
  isEmail,
  isIntegerLike,
  isListLike,
  isNumberLike,
  isPhoneNumber,
  isZipCode,
  parseDateLike,
  parseNumberLike,
} from '../src/index.js';

describe('date-like pattern', () => {
  it.each([
    '2024-01-05',
    '2024-1-5',
    '2024-01-05T10:30',
    '2024-01-05 10:30:15',
    '2024-01-05T10:30:15.123456',
    '2024-01-05T10:30:15.123Z',
    '2024-01-05T10:30:15+02:00',
    '2024-01-05 10:30 in Paris',
    '2024/01/05',
    '05/01/2024',
    '5-1-2024',
    '05/01/2024 10:30',
    'Jan 5, 2024',
    'January 5 2024',
    'Sept 12, 2023 and more',
  ])('accepts %j', (text) => expect(isDateLike(text)).toBe(true));

  it.each(['2024', '10:30', '1/2', '2024-01-05abc', 'on 2024-01-05', '555-123-4567', 'Janet 5, 2024', 'hello'])('rejects %j', (text) =>
    expect(isDateLike(text)).toBe(false),
  );
});

describe('email pattern', () => {
  it.each(['a@b.co', 'first.last+tag@mail.example.com', 'x_y#z-w@sub-domain.org'])('accepts %j', (text) => expect(isEmail(text)).toBe(true));
  it.each(['a@b', 'a b@c.com', '@c.com', 'a@@c.com', 'name'])('rejects %j', (text) => expect(isEmail(text)).toBe(false));
});

describe('integer and number patterns', () => {
  it.each(['0', '-12', '1,000', '12,345,678', '5.00', '5.', '$5', '- $5', '-$5', '€ 5', '¥5', '₹5', '£5', 'Rs 500', 'CAD 10', '10 CAD', '10元', '10€', '10$'])(
    'integer-like: %j',
    (text) => {
      expect(isIntegerLike(text)).toBe(true);
      expect(isNumberLike(text)).toBe(true);
    },
  );

  it.each(['1.5', '.5', '-0.25', '1,000.50', '$1,234.56', '5%', '12.5 %', '-3.5%'])('number-like but not integer-like: %j', (text) => {
    expect(isNumberLike(text)).toBe(true);
    expect(isIntegerLike(text)).toBe(false);
  });

  it.each(['', '-', '$', '.', '1,0', '1,00', '12,34,567', '1e5', '$5$', 'abc', '5 apples', '$-5'])('not number-like: %j', (text) => {
    expect(isNumberLike(text)).toBe(false);
  });
});

describe('phone, zip and list patterns', () => {
  it.each(['555-123-4567', '(555) 123-4567', '555.123.4567', '5551234567', '+1 555 123 4567', '+44 (555) 123-4567 x12'])('phone: %j', (text) =>
    expect(isPhoneNumber(text)).toBe(true),
  );
  it.each(['555-1234', '12345', '555-123-456', 'call me'])('not phone: %j', (text) => expect(isPhoneNumber(text)).toBe(false));

  it.each(['123', '12345', '12345-6789', '12345 6789'])('zip: %j', (text) => expect(isZipCode(text)).toBe(true));
  it.each(['12', '123456', '12345-678', 'AB1 2CD'])('not zip: %j', (text) => expect(isZipCode(text)).toBe(false));

  it.each(['[]', '[1, 2]', '(a, b)', "['x']", '[1)'])('list: %j', (text) => expect(isListLike(text)).toBe(true));
  it.each(['1, 2', '[1, 2', '[a\nb]'])('not list: %j', (text) => expect(isListLike(text)).toBe(false));
});

describe('name hints', () => {
  it('phone columns contain phone or landline', () => {
    for (const name of ['Phone', 'mobile_phone_number', 'LandlineNo']) expect(hasPhoneNameHint(name)).toBe(true);
    expect(hasPhoneNameHint('telephone_extension')).toBe(true);
    expect(hasPhoneNameHint('mobile')).toBe(false);
  });

  it('zip columns contain zip, postal, zipcode or postcode', () => {
    for (const name of ['ZIP', 'zipcode', 'Postal Code', 'postcode', 'billing_zip']) expect(hasZipNameHint(name)).toBe(true);
    expect(hasZipNameHint('post')).toBe(false);
  });
});

describe('numeric coercion', () => {
  it('fix: "1,000" and "$5" are numbers', () => {
    expect(isNumberLike('1,000')).toBe(true);
    expect(isNumberLike('$5')).toBe(true);
    expect(coerceNumericStrings(['1,000', '2,500'])).toEqual([1000, 2500]);
    expect(coerceNumericStrings(['$5', '$1,234.50'])).toEqual([5, 1234.5]);
  });

  it('the column decides: any currency token -> currency mode; else any % -> percent mode', () => {
    expect(chooseNumericCoercion(['1', '2'])).toBe('plain');
    expect(chooseNumericCoercion(['1', '5%'])).toBe('percent');
    expect(chooseNumericCoercion(['5%', 'CAD 3'])).toBe('currency');
    expect(chooseNumericCoercion([5, null, true])).toBe('plain');
  });

  it('percent mode removes % and divides every value by 100', () => {
    expect(coerceNumericStrings(['50%', '12.5 %', '100'])).toEqual([0.5, 0.125, 1]);
  });

  it('currency mode removes every currency token and spaces', () => {
    expect(coerceNumericStrings(['Rs 500', '€ 1,000', '20 CAD', '7元', '-$3'])).toEqual([500, 1000, 20, 7, -3]);
  });

  it('unreadable values and non-strings become null; numbers pass through', () => {
    expect(coerceNumericStrings(['abc', 12, true, null, '5'])).toEqual([null, 12, null, null, 5]);
    expect(coerceNumericString('5%', 'currency')).toBeNull();
  });

  it('parseNumberLike reads one value on its own', () => {
    expect(parseNumberLike('45%')).toBe(0.45);
    expect(parseNumberLike('$1,200')).toBe(1200);
    expect(parseNumberLike(' 3.5 ')).toBe(3.5);
    expect(parseNumberLike('n/a')).toBeNull();
  });

  it('exceedsInt64 is true only beyond the signed 64-bit range', () => {
    expect(exceedsInt64('9223372036854775807')).toBe(false);
    expect(exceedsInt64('9,223,372,036,854,775,808')).toBe(true);
    expect(exceedsInt64('-9223372036854775808')).toBe(false);
    expect(exceedsInt64('-9223372036854775809')).toBe(true);
    expect(exceedsInt64('123')).toBe(false);
  });
});

describe('parseDateLike', () => {
  const iso = (text: string): string | null => {
    const instant = parseDateLike(text);
    return instant === null ? null : formatInstant(instant);
  };

  it('reads the accepted forms as UTC instants', () => {
    expect(iso('2024-01-05')).toBe('2024-01-05T00:00:00.000Z');
    expect(iso('2024-1-5 7:05')).toBe('2024-01-05T07:05:00.000Z');
    expect(iso('2024-01-05T10:30:15.250Z')).toBe('2024-01-05T10:30:15.250Z');
    expect(iso('2024-01-05T10:30:00+02:00')).toBe('2024-01-05T08:30:00.000Z');
    expect(iso('2024/02/29')).toBe('2024-02-29T00:00:00.000Z');
    expect(iso('03/04/2024')).toBe('2024-03-04T00:00:00.000Z'); // month first, like pandas
    expect(iso('25/12/2023')).toBe('2023-12-25T00:00:00.000Z'); // 25 cannot be a month
    expect(iso('12/25/23')).toBe('2023-12-25T00:00:00.000Z');
    expect(iso('Jan 5, 2024')).toBe('2024-01-05T00:00:00.000Z');
    expect(iso('March 3rd 2021 4:15 PM')).toBe('2021-03-03T16:15:00.000Z');
  });

  it('rejects impossible dates and non-dates', () => {
    expect(parseDateLike('2023-02-29')).toBeNull();
    expect(parseDateLike('2024-13-01')).toBeNull();
    expect(parseDateLike('hello')).toBeNull();
  });
});
