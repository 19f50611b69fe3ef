import { describe, expect, it } from 'vitest';
import { PYTHON_KEYWORDS, RESERVED_WORDS, SQL_RESERVED_WORDS, UNNAMED_COLUMN, cleanColumnName, cleanColumnNames } from '../src/index.js';

describe('cleanColumnName: the reference examples', () => {
  it.each([
    ['  Bad Case   ', 'bad_case'],
    ['%@#342%34@@#342', 'number_34234342'],
    [' yield  ', 'yield_'],
    ['1234.  23', '1234___23'],
    ['@#f$%&*o$*(%^&r*$%&', 'for_'],
    ['PascalCaseColumn', 'pascal_case_column'],
    ['camelCaseText', 'camel_case_text'],
    ['___weird_snake_case___', 'weird_snake_case'],
    ['helloWorld2', 'helloworld2'],
  ])('%j -> %j', (name, expected) => {
    expect(cleanColumnName(name)).toBe(expected);
  });
});

describe('cleanColumnName: each step', () => {
  it('1 and 6: a reserved word gets _ (before and after cleaning), case-insensitively', () => {
    expect(cleanColumnName('class')).toBe('class_');
    expect(cleanColumnName('None')).toBe('none_');
    expect(cleanColumnName('select')).toBe('select_');
    expect(cleanColumnName('ORDER')).toBe('order_');
    expect(cleanColumnName('Order')).toBe('order_');
    expect(cleanColumnName('-from-')).toBe('from_');
  });

  it('2: trims whitespace, quotes, _ and - from both ends', () => {
    expect(cleanColumnName(`\t"'-_name_-'"\n`)).toBe('name');
  });

  it('3: whitespace, - and . inside become _ one for one', () => {
    expect(cleanColumnName('a b-c.d')).toBe('a_b_c_d');
    expect(cleanColumnName('a  b')).toBe('a__b');
  });

  it('4: other characters are removed; accents are folded first', () => {
    expect(cleanColumnName('price ($)')).toBe('price_');
    expect(cleanColumnName('Prénom')).toBe('prenom');
    expect(cleanColumnName('naïve_total')).toBe('naive_total');
  });

  it('5: an all-digit name gets number_; digits with other characters do not', () => {
    expect(cleanColumnName('2024')).toBe('number_2024');
    expect(cleanColumnName('2024 sales')).toBe('2024_sales');
  });

  it('7: ALLCAPS is lower-cased, Pascal and camel split into words (acronyms stay whole)', () => {
    expect(cleanColumnName('ID')).toBe('id');
    expect(cleanColumnName('SKU2')).toBe('sku2');
    expect(cleanColumnName('UserID')).toBe('user_id');
    expect(cleanColumnName('HTTPServerName')).toBe('http_server_name');
    expect(cleanColumnName('getHTTPResponse')).toBe('get_http_response');
  });

  it('8: mixed names that are neither are just lower-cased', () => {
    expect(cleanColumnName('Order_Date')).toBe('order_date');
    expect(cleanColumnName('Q1Revenue')).toBe('q1revenue');
  });

  it('an empty result becomes `unnamed`', () => {
    expect(cleanColumnName('%%%')).toBe(UNNAMED_COLUMN);
    expect(cleanColumnName('日本語')).toBe(UNNAMED_COLUMN);
  });

  it('accepts a stricter reserved-word list for one target', () => {
    expect(cleanColumnName('key')).toBe('key');
    expect(cleanColumnName('key', { reservedWords: new Set(['key']) })).toBe('key_');
    expect(cleanColumnName('CurrentDate', { reservedWords: new Set(['current_date']) })).toBe('current_date_');
  });
});

describe('reserved words', () => {
  it('are Python keywords plus SQL words reserved in PostgreSQL, MySQL, Snowflake and BigQuery alike', () => {
    expect(PYTHON_KEYWORDS).toHaveLength(35);
    for (const word of PYTHON_KEYWORDS) expect(RESERVED_WORDS.has(word.toLowerCase())).toBe(true);
    for (const word of SQL_RESERVED_WORDS) expect(RESERVED_WORDS.has(word)).toBe(true);
    for (const word of ['select', 'from', 'where', 'order', 'group', 'join', 'union', 'null', 'true']) expect(SQL_RESERVED_WORDS).toContain(word);
    // Reserved in only some targets: left alone by default.
    for (const word of ['key', 'user', 'rows', 'date', 'name']) expect(RESERVED_WORDS.has(word)).toBe(false);
  });
});

describe('cleanColumnNames', () => {
  it('maps every original to its cleaned name', () => {
    expect([...cleanColumnNames(['First Name', 'lastName'])]).toEqual([
      ['First Name', 'first_name'],
      ['lastName', 'last_name'],
    ]);
  });

  it('suffixes later collisions _2, _3 in input order', () => {
    const result = cleanColumnNames(['Bad Case', 'bad-case', 'BAD.CASE', 'bad_case']);
    expect([...result.values()]).toEqual(['bad_case', 'bad_case_2', 'bad_case_3', 'bad_case_4']);
  });

  it('never hands out a suffixed name another column cleans to', () => {
    const result = cleanColumnNames(['a', 'A', 'a_2']);
    expect(Object.fromEntries(result)).toEqual({ a: 'a', A: 'a_3', a_2: 'a_2' });
    expect(new Set(result.values()).size).toBe(3);
  });

  it('is deterministic and lists a repeated original once', () => {
    const names = ['x y', 'X Y', 'x-y', 'x y'];
    expect([...cleanColumnNames(names)]).toEqual([...cleanColumnNames(names)]);
    expect(cleanColumnNames(names).size).toBe(3);
  });
});
