#!/usr/bin/env node
/**
 * Writes the quickstart's sample: orders with their customers, as a shop's export would look. The column
 * names are messy, some cells are empty, a few prices and quantities are typos, and the order date comes
 * in three formats. The output is committed; this script documents how it was made and regenerates it
 * byte for byte (a seeded generator, no clock).
 *
 *   node examples/quickstart/generate-sample.mjs
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const here = import.meta.dirname;

function mulberry32(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
const random = mulberry32(20261121);
const pick = (list) => list[Math.floor(random() * list.length)];
const chance = (p) => random() < p;
const intBetween = (low, high) => low + Math.floor(random() * (high - low + 1));

const FIRST = ['Ana', 'Ben', 'Chloé', 'Dmitri', 'Emma', 'Farid', 'Grace', 'Hiro', 'Ines', 'Jonas', 'Kaia', 'Liam',
  'Mei', 'Nour', 'Oskar', 'Priya', 'Quentin', 'Rosa', 'Sven', 'Tariq', 'Uma', 'Viktor', 'Wen', 'Yara', 'Zoë'];
const LAST = ['Almeida', 'Berg', 'Costa', 'Dubois', 'Eriksen', 'Fischer', 'García', 'Haddad', 'Ito', 'Jensen',
  'Kowalski', 'López', 'Müller', 'Nakamura', "O'Brien", 'Petrov', 'Rossi', 'Schmidt', 'Tanaka', 'Weber'];
const COUNTRIES = ['Germany', 'France', 'Spain', 'Portugal', 'Japan', 'United States', 'Canada', 'Norway', 'Poland', 'Italy'];
const PRODUCTS = [
  ['Espresso beans 1kg', 24.5], ['Pour-over kettle', 39.0], ['Ceramic mug', 12.9], ['Hand grinder', 44.0],
  ['Paper filters (100)', 4.75], ['Milk frother', 34.99], ['Cold brew jar', 27.5], ['Tasting notebook', 9.95],
  ['Travel tumbler', 22.0], ['Decaf beans 500g', 13.25],
];
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

const customers = Array.from({ length: 240 }, (_, i) => {
  const first = pick(FIRST);
  const last = pick(LAST);
  const handle = `${first}.${last}`.normalize('NFD').replace(/[^A-Za-z.]/g, '').toLowerCase();
  return {
    id: `C${String(i + 1).padStart(4, '0')}`,
    name: `${first} ${last}`,
    email: `${handle}${i + 1}@${pick(['example.com', 'mail.example.org', 'shop.example.net'])}`,
    country: pick(COUNTRIES),
  };
});

const pad = (n) => String(n).padStart(2, '0');
function orderDate(year, month, day) {
  const r = random();
  if (r < 0.6) return `${year}-${pad(month)}-${pad(day)}`;
  if (r < 0.85) return `${pad(month)}/${pad(day)}/${year}`;
  return `${MONTHS[month - 1]} ${day}, ${year}`;
}

function csvCell(value) {
  if (value === null || value === undefined) return '';
  const text = String(value);
  return /[",\n\r]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

const HEADER = ['Order ID', 'Order Date', 'Customer ID', 'Customer Name ', 'E-Mail Address', 'Country', 'Product',
  'Qty', 'Unit Price (USD)', 'Discount %', 'Total Amount', 'Rating (1-5)', 'Gift Wrap?'];

let nextOrderId = 100001;
function month(year, monthNumber, count) {
  const rows = [HEADER.map(csvCell).join(',')];
  for (let i = 0; i < count; i++) {
    const customer = pick(customers);
    const [product, listPrice] = pick(PRODUCTS);
    let quantity = chance(0.85) ? 1 : intBetween(2, 3);
    let price = listPrice;
    if (chance(0.012)) price = listPrice * pick([10, 100]); // a decimal point typed in the wrong place
    if (chance(0.006)) quantity = intBetween(250, 900); // a quantity typed with extra digits
    const discount = chance(0.65) ? 0 : pick([5, 10, 15, 20]);
    const qtyCell = chance(0.06) ? null : quantity;
    const priceCell = chance(0.05) ? null : price.toFixed(2);
    const total = qtyCell === null || priceCell === null ? null : ((quantity * price * (100 - discount)) / 100).toFixed(2);
    rows.push([
      nextOrderId++,
      orderDate(year, monthNumber, 1 + Math.floor((i / count) * 28)),
      customer.id,
      customer.name,
      chance(0.03) ? null : customer.email,
      chance(0.05) ? null : customer.country,
      product,
      qtyCell,
      priceCell,
      chance(0.1) ? null : discount,
      total,
      chance(0.2) ? null : Math.max(1, Math.min(5, Math.round(3.9 + (random() - 0.4) * 3))),
      chance(0.15) ? 'true' : 'false',
    ].map(csvCell).join(','));
  }
  return `${rows.join('\n')}\n`;
}

const folder = join(here, 'data');
mkdirSync(folder, { recursive: true });
writeFileSync(join(folder, 'orders-2026-09.csv'), month(2026, 9, 1400));
writeFileSync(join(folder, 'orders-2026-10.csv'), month(2026, 10, 1600));
// A third month arrives later: the quickstart copies it into data/ between runs to show an incremental run.
mkdirSync(join(here, 'later'), { recursive: true });
writeFileSync(join(here, 'later', 'orders-2026-11.csv'), month(2026, 11, 500));
