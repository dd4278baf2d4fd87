// ESO 2.9's filterPEM on awkward input (junk around blocks, CRLF, headers, case, bad blocks),
// each expected output recorded from Go: ESO's algorithm (trim to the first BEGIN, pem.Decode in
// a loop, strings.EqualFold on the type, pem.Encode, junk an error only when nothing matched)
// run with Go 1.26's encoding/pem.

import { runGoldenCases } from './testing/golden-cases.js';
import type { GoldenCase } from './testing/golden-cases.js';

const cases: Record<string, GoldenCase> = {
  'junk before and between': {
    tpl: '{{ filterPEM .t .i }}',
    data: {
      t: 'CERTIFICATE',
      i: 'junk\n-----BEGIN CERTIFICATE-----\nQUJD\n-----END CERTIFICATE-----\nmiddle\n-----BEGIN CERTIFICATE-----\nREVG\n-----END CERTIFICATE-----\ntrailing',
    },
    out: '-----BEGIN CERTIFICATE-----\nQUJD\n-----END CERTIFICATE-----\n-----BEGIN CERTIFICATE-----\nREVG\n-----END CERTIFICATE-----\n',
  },
  'lower-case type': {
    tpl: '{{ filterPEM .t .i }}',
    data: { t: 'certificate', i: '-----BEGIN CERTIFICATE-----\nQUJD\n-----END CERTIFICATE-----\n' },
    out: '-----BEGIN CERTIFICATE-----\nQUJD\n-----END CERTIFICATE-----\n',
  },
  crlf: {
    tpl: '{{ filterPEM .t .i }}',
    data: { t: 'CERTIFICATE', i: '-----BEGIN CERTIFICATE-----\r\nQUJD\r\n-----END CERTIFICATE-----\r\n' },
    out: '-----BEGIN CERTIFICATE-----\nQUJD\n-----END CERTIFICATE-----\n',
  },
  'no trailing newline': {
    tpl: '{{ filterPEM .t .i }}',
    data: { t: 'X', i: '-----BEGIN X-----\nQUJD\n-----END X-----' },
    out: '-----BEGIN X-----\nQUJD\n-----END X-----\n',
  },
  headers: {
    tpl: '{{ filterPEM .t .i }}',
    data: {
      t: 'RSA PRIVATE KEY',
      i: '-----BEGIN RSA PRIVATE KEY-----\nProc-Type: 4,ENCRYPTED\nDEK-Info: AES-128-CBC,00\n\nQUJD\n-----END RSA PRIVATE KEY-----\n',
    },
    out: '-----BEGIN RSA PRIVATE KEY-----\nProc-Type: 4,ENCRYPTED\nDEK-Info: AES-128-CBC,00\n\nQUJD\n-----END RSA PRIVATE KEY-----\n',
  },
  'other type only, trailing junk': {
    tpl: '{{ filterPEM .t .i }}',
    data: { t: 'CERTIFICATE', i: '-----BEGIN KEY-----\nQUJD\n-----END KEY-----\njunk' },
    err: 'TemplateExec',
    msg: 'error filtering pem: found junk',
  },
  'other type only, clean': {
    tpl: '{{ filterPEM .t .i }}',
    data: { t: 'CERTIFICATE', i: '-----BEGIN KEY-----\nQUJD\n-----END KEY-----\n' },
    out: '',
  },
  'bad base64 block then good': {
    tpl: '{{ filterPEM .t .i }}',
    data: {
      t: 'X',
      i: '-----BEGIN X-----\n!!!!\n-----END X-----\n-----BEGIN X-----\nQUJD\n-----END X-----\n',
    },
    out: '-----BEGIN X-----\nQUJD\n-----END X-----\n',
  },
  empty: { tpl: '{{ filterPEM .t .i }}', data: { t: 'X', i: '' }, out: '' },
  'only junk': {
    tpl: '{{ filterPEM .t .i }}',
    data: { t: 'X', i: 'hello' },
    err: 'TemplateExec',
    msg: 'error filtering pem: found junk',
  },
  'long body rewrapped': {
    tpl: '{{ filterPEM .t .i }}',
    data: {
      t: 'X',
      i: '-----BEGIN X-----\nQUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVphYmNkZWZnaGlqa2xtbm9wcXJzdHV2d3h5ejAxMjM0NTY3ODk=\n-----END X-----\n',
    },
    out: '-----BEGIN X-----\nQUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVphYmNkZWZnaGlqa2xtbm9wcXJzdHV2\nd3h5ejAxMjM0NTY3ODk=\n-----END X-----\n',
  },
  'mismatched end': {
    tpl: '{{ filterPEM .t .i }}',
    data: { t: 'X', i: '-----BEGIN X-----\nQUJD\n-----END Y-----\n' },
    err: 'TemplateExec',
    msg: 'error filtering pem: found junk',
  },
};

runGoldenCases('filterPEM, golden from Go', cases);
