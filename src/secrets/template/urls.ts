// Sprig's urlParse and urlJoin over a port of Go's net/url Parse and URL.String: Go keeps
// the URL as written (no WHATWG normalisation: no default ports dropped, no lower-cased
// hosts, relative references allowed), so the WHATWG URL class would give other answers.

import { isIPv6 } from 'node:net';
import { goBytes, goString } from './bytes.js';
import { ExecFailure } from './errors.js';
import type { FuncDef } from './exec.js';
import { mapGet, mapSet, newMap, typeName } from './value.js';
import type { GoMap } from './value.js';

type Mode = 'path' | 'pathSegment' | 'host' | 'zone' | 'userPassword' | 'queryComponent' | 'fragment';

const alnum = (c: number): boolean =>
  (c >= 0x61 && c <= 0x7a) || (c >= 0x41 && c <= 0x5a) || (c >= 0x30 && c <= 0x39);

/** net/url's shouldEscape, per byte. */
function shouldEscape(c: number, mode: Mode): boolean {
  if (alnum(c)) return false;
  const ch = String.fromCharCode(c);
  if ((mode === 'host' || mode === 'zone') && `!$&'()*+,;=:[]<>"`.includes(ch)) return false;
  if ('-_.~'.includes(ch)) return false;
  if ('$&+,/:;=?@'.includes(ch)) {
    switch (mode) {
      case 'path':
        return ch === '?';
      case 'pathSegment':
        return '/;,?'.includes(ch);
      case 'userPassword':
        return '@/?:'.includes(ch);
      case 'queryComponent':
        return true;
      case 'fragment':
        return false;
      default:
        break;
    }
  }
  if (mode === 'fragment' && '!()*'.includes(ch)) return false;
  return true;
}

function escape(s: string, mode: Mode): string {
  let out = '';
  for (const b of goBytes(s)) {
    if (b === 0x20 && mode === 'queryComponent') out += '+';
    else if (shouldEscape(b, mode)) out += '%' + b.toString(16).toUpperCase().padStart(2, '0');
    else out += String.fromCharCode(b);
  }
  return goString(Buffer.from(out, 'latin1'));
}

const isHex = (c: string | undefined): boolean => c !== undefined && /^[0-9a-fA-F]$/.test(c);

/** net/url's unescape; errors name the offending escape only. */
function unescape(s: string, mode: Mode): string {
  const bytes = Buffer.from(goBytes(s));
  const out: number[] = [];
  for (let i = 0; i < bytes.length; i++) {
    const c = bytes[i]!;
    if (c === 0x25) {
      const h1 = String.fromCharCode(bytes[i + 1] ?? 0);
      const h2 = String.fromCharCode(bytes[i + 2] ?? 0);
      if (i + 2 >= bytes.length || !isHex(h1) || !isHex(h2)) throw new ExecFailure('invalid URL escape');
      const v = parseInt(h1 + h2, 16);
      const isPct25 = v === 0x25;
      if (mode === 'host' && parseInt(h1, 16) < 8 && !isPct25) throw new ExecFailure('invalid URL escape');
      if (mode === 'zone' && !isPct25 && v !== 0x20 && shouldEscape(v, 'host'))
        throw new ExecFailure('invalid URL escape');
      out.push(v);
      i += 2;
    } else if (c === 0x2b) {
      out.push(mode === 'queryComponent' ? 0x20 : 0x2b);
    } else {
      if ((mode === 'host' || mode === 'zone') && c < 0x80 && shouldEscape(c, mode)) {
        throw new ExecFailure('invalid character in host name');
      }
      out.push(c);
    }
  }
  return goString(Uint8Array.from(out));
}

function validOptionalPort(port: string): boolean {
  return port === '' || /^:[0-9]*$/.test(port);
}

function parseHost(scheme: string, host: string): string {
  const open = host.lastIndexOf('[');
  if (open > 0) throw new ExecFailure('invalid IP-literal');
  if (open === 0) {
    const close = host.lastIndexOf(']');
    if (close < 0) throw new ExecFailure("missing ']' in host");
    const colonPort = host.slice(close + 1);
    if (!validOptionalPort(colonPort)) throw new ExecFailure('invalid port after host');
    const inner = host.slice(1, close);
    const zone = inner.indexOf('%25');
    const name =
      zone >= 0
        ? unescape(inner.slice(0, zone), 'host') + unescape(inner.slice(zone), 'zone')
        : unescape(inner, 'host');
    if (!isIPv6(name))
      throw new ExecFailure(/^\d+\.\d+\.\d+\.\d+$/.test(name) ? 'invalid IP-literal' : 'invalid host');
    return `[${name}]${unescape(colonPort, 'host')}`;
  }
  let i = host.indexOf(':');
  if (i !== -1) {
    const last = host.lastIndexOf(':');
    // Go 1.26 keeps the first colon for http and https (urlstrictcolons).
    if (last !== i && scheme !== 'http' && scheme !== 'https') i = last;
    if (!validOptionalPort(host.slice(i))) throw new ExecFailure('invalid port after host');
  }
  return unescape(host, 'host');
}

interface Userinfo {
  username: string;
  password?: string;
}

function userinfoString(u: Userinfo): string {
  return (
    escape(u.username, 'userPassword') +
    (u.password === undefined ? '' : ':' + escape(u.password, 'userPassword'))
  );
}

interface GoURL {
  scheme: string;
  opaque: string;
  user?: Userinfo;
  host: string;
  path: string;
  rawPath: string;
  omitHost: boolean;
  forceQuery: boolean;
  rawQuery: string;
  fragment: string;
  rawFragment: string;
}

function parseAuthority(scheme: string, authority: string): { user?: Userinfo; host: string } {
  const at = authority.lastIndexOf('@');
  const host = parseHost(scheme, at < 0 ? authority : authority.slice(at + 1));
  if (at < 0) return { host };
  const info = authority.slice(0, at);
  if (!/^[A-Za-z0-9\-._:~!$&'()*+,;=%@]*$/.test(info)) throw new ExecFailure('net/url: invalid userinfo');
  const colon = info.indexOf(':');
  if (colon < 0) return { host, user: { username: unescape(info, 'userPassword') } };
  return {
    host,
    user: {
      username: unescape(info.slice(0, colon), 'userPassword'),
      password: unescape(info.slice(colon + 1), 'userPassword'),
    },
  };
}

function schemeOf(raw: string): [string, string] {
  for (let i = 0; i < raw.length; i++) {
    const c = raw[i]!;
    if (/[A-Za-z]/.test(c)) continue;
    if (/[0-9+\-.]/.test(c)) {
      if (i === 0) return ['', raw];
      continue;
    }
    if (c === ':') {
      if (i === 0) throw new ExecFailure('missing protocol scheme');
      return [raw.slice(0, i), raw.slice(i + 1)];
    }
    return ['', raw];
  }
  return ['', raw];
}

/** url.Parse. */
export function parseURL(rawURL: string): GoURL {
  const hash = rawURL.indexOf('#');
  const raw = hash < 0 ? rawURL : rawURL.slice(0, hash);
  const frag = hash < 0 ? '' : rawURL.slice(hash + 1);
  const u: GoURL = {
    scheme: '',
    opaque: '',
    host: '',
    path: '',
    rawPath: '',
    omitHost: false,
    forceQuery: false,
    rawQuery: '',
    fragment: '',
    rawFragment: '',
  };
  if (Array.from(raw).some((c) => c.charCodeAt(0) < 0x20 || c.charCodeAt(0) === 0x7f))
    throw new ExecFailure('net/url: invalid control character in URL');
  if (raw === '*') {
    u.path = '*';
  } else {
    let rest: string;
    [u.scheme, rest] = schemeOf(raw);
    u.scheme = u.scheme.toLowerCase();
    if (rest.endsWith('?') && rest.split('?').length === 2) {
      u.forceQuery = true;
      rest = rest.slice(0, -1);
    } else {
      const q = rest.indexOf('?');
      if (q >= 0) [rest, u.rawQuery] = [rest.slice(0, q), rest.slice(q + 1)];
    }
    if (!rest.startsWith('/')) {
      if (u.scheme !== '') {
        u.opaque = rest;
        return withFragment(u, frag);
      }
      if ((rest.split('/')[0] ?? '').includes(':'))
        throw new ExecFailure('first path segment in URL cannot contain colon');
    }
    if ((u.scheme !== '' || !rest.startsWith('///')) && rest.startsWith('//')) {
      let authority = rest.slice(2);
      rest = '';
      const slash = authority.indexOf('/');
      if (slash >= 0) [authority, rest] = [authority.slice(0, slash), authority.slice(slash)];
      const a = parseAuthority(u.scheme, authority);
      u.host = a.host;
      u.user = a.user;
    } else if (u.scheme !== '' && rest.startsWith('/')) {
      u.omitHost = true;
    }
    u.path = unescape(rest, 'path');
    u.rawPath = escape(u.path, 'path') === rest ? '' : rest;
  }
  return withFragment(u, frag);
}

function withFragment(u: GoURL, frag: string): GoURL {
  if (frag === '') return u;
  u.fragment = unescape(frag, 'fragment');
  u.rawFragment = escape(u.fragment, 'fragment') === frag ? '' : frag;
  return u;
}

function validEncoded(s: string, mode: Mode): boolean {
  for (const b of goBytes(s)) {
    if (`!$&'()*+,;=:@[]%`.includes(String.fromCharCode(b))) continue;
    if (shouldEscape(b, mode)) return false;
  }
  return true;
}

function escapedRaw(raw: string, decoded: string, mode: Mode): string {
  if (raw !== '' && validEncoded(raw, mode)) {
    try {
      if (unescape(raw, mode) === decoded) return raw;
    } catch {
      // fall through to escaping the decoded form
    }
  }
  return escape(decoded, mode);
}

/** URL.String. */
export function urlString(u: GoURL): string {
  let out = u.scheme !== '' ? u.scheme + ':' : '';
  if (u.opaque !== '') {
    out += u.opaque;
  } else {
    if (u.scheme !== '' || u.host !== '' || u.user) {
      if (!(u.omitHost && u.host === '' && !u.user)) {
        if (u.host !== '' || u.path !== '' || u.user) out += '//';
        if (u.user) out += userinfoString(u.user) + '@';
        if (u.host !== '') out += escape(u.host, 'host');
      }
    }
    const path = u.path === '*' && u.rawPath === '' ? '*' : escapedRaw(u.rawPath, u.path, 'path');
    if (path !== '' && path[0] !== '/' && u.host !== '') out += '/';
    if (out === '' && (path.split('/')[0] ?? '').includes(':')) out += './';
    out += path;
  }
  if (u.forceQuery || u.rawQuery !== '') out += '?' + u.rawQuery;
  if (u.fragment !== '') out += '#' + escapedRaw(u.rawFragment, u.fragment, 'fragment');
  return out;
}

function hostname(host: string): string {
  let h = host;
  const colon = h.lastIndexOf(':');
  if (colon !== -1 && validOptionalPort(h.slice(colon))) h = h.slice(0, colon);
  if (h.startsWith('[') && h.endsWith(']')) h = h.slice(1, -1);
  return h;
}

function urlParse(v: string): GoMap {
  let u: GoURL;
  try {
    u = parseURL(v);
  } catch (e) {
    // Go's message quotes the URL, which may carry a password: only the reason is kept.
    throw new ExecFailure(`unable to parse url: ${e instanceof Error ? e.message : 'invalid URL'}`);
  }
  const m = newMap();
  mapSet(m, 'scheme', u.scheme);
  mapSet(m, 'host', u.host);
  mapSet(m, 'hostname', hostname(u.host));
  mapSet(m, 'path', u.path);
  mapSet(m, 'query', u.rawQuery);
  mapSet(m, 'opaque', u.opaque);
  mapSet(m, 'fragment', u.fragment);
  mapSet(m, 'userinfo', u.user ? userinfoString(u.user) : '');
  return m;
}

function dictString(d: GoMap, key: string): string {
  const { ok, value } = mapGet(d, key);
  if (!ok) return '';
  if (typeof value !== 'string') {
    throw new ExecFailure(
      `unable to parse ${key} key, must be of type string, but ${value === null ? 'invalid' : typeName(value)} found`,
    );
  }
  return value;
}

function urlJoin(d: unknown): string {
  if (typeof d !== 'object' || d === null || Array.isArray(d)) {
    throw new ExecFailure(`wrong type for value; expected map[string]interface {}; got ${typeName(d)}`);
  }
  const m = d as GoMap;
  const u: GoURL = {
    scheme: dictString(m, 'scheme'),
    host: dictString(m, 'host'),
    path: dictString(m, 'path'),
    rawQuery: dictString(m, 'query'),
    opaque: dictString(m, 'opaque'),
    fragment: dictString(m, 'fragment'),
    rawPath: '',
    rawFragment: '',
    omitHost: false,
    forceQuery: false,
  };
  const info = dictString(m, 'userinfo');
  if (info !== '') {
    try {
      u.user = parseURL(`proto://${info}@host`).user;
    } catch (e) {
      throw new ExecFailure(
        `unable to parse userinfo in dict: ${e instanceof Error ? e.message : 'invalid'}`,
      );
    }
  }
  return urlString(u);
}

export const URL_FUNCS: Record<string, FuncDef> = {
  urlParse: { fn: (s) => urlParse(s as string), params: ['string'] },
  urlJoin: { fn: urlJoin, params: ['any'] },
};
