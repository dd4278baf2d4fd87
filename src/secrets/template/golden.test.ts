// Golden cases: template + data → output (or error reason), from the documented behaviour
// of Go's text/template, fmt and regexp, Sprig, and ESO's templating guide. Re-run through
// Go 1.26 with Sprig at ESO's revision, they agree but for `keys`/`values` (sorted here on
// purpose), `required` (Helm's, kept), mustFromJson's message (Go's can quote the input) and
// ESO's own functions, which plain Sprig lacks; golden-sprig.test.ts and golden-edges.test.ts hold the Go-recorded ones.

import { describe, expect, it } from '@jest/globals';
import { TemplateError, renderTemplate } from './index.js';

interface Case {
  tpl: string;
  data?: unknown;
  out?: string;
  err?: 'TemplateParse' | 'TemplateExec';
  /** Substring the error message must contain. */
  msg?: string;
}

const creds = { username: 'user', password: 'pass', host: 'db.example.com', db: 'app' };

const cases: Record<string, Case> = {
  // ---- text, fields, variables ----
  'plain text': { tpl: 'hello', out: 'hello' },
  'empty template': { tpl: '', out: '' },
  'field of data': { tpl: '{{ .password }}', data: creds, out: 'pass' },
  'dot is the data': { tpl: '{{ . }}', data: 'x', out: 'x' },
  'field chain': { tpl: '{{ .a.b.c }}', data: { a: { b: { c: 'deep' } } }, out: 'deep' },
  'missing key prints <no value>': { tpl: '{{ .missing }}', data: creds, out: '<no value>' },
  'missing key chain prints <no value>': { tpl: '{{ .missing.x }}', data: creds, out: '<no value>' },
  'dollar is the root': { tpl: '{{ with .a }}{{ $.b }}{{ end }}', data: { a: 'x', b: 'root' }, out: 'root' },
  'declare variable': { tpl: '{{ $x := "a" }}{{ $x }}', out: 'a' },
  'assign variable': { tpl: '{{ $x := 1 }}{{ if true }}{{ $x = 2 }}{{ end }}{{ $x }}', out: '2' },
  'variable field': { tpl: '{{ $u := .a }}{{ $u.b }}', data: { a: { b: 'c' } }, out: 'c' },
  'variables scoped to block': {
    tpl: '{{ $x := "outer" }}{{ if true }}{{ $x := "inner" }}{{ $x }}{{ end }} {{ $x }}',
    out: 'inner outer',
  },
  'map printed like Go': { tpl: '{{ . }}', data: { b: '2', a: '1' }, out: 'map[a:1 b:2]' },
  'list printed like Go': { tpl: '{{ .l }}', data: { l: ['a', 'b'] }, out: '[a b]' },

  // ---- literals ----
  'string literal escapes': { tpl: '{{ "a\\tb\\u00e9\\x41" }}', out: 'a\tbéA' },
  'raw string literal': { tpl: '{{ `a\\nb` }}', out: 'a\\nb' },
  'char constant is a number': { tpl: "{{ 'a' }}", out: '97' },
  'int literal': { tpl: '{{ 42 }}', out: '42' },
  'negative int': { tpl: '{{ -3 }}', out: '-3' },
  'hex literal': { tpl: '{{ 0x1F }}', out: '31' },
  'octal literals': { tpl: '{{ 017 }} {{ 0o17 }}', out: '15 15' },
  'binary literal': { tpl: '{{ 0b101 }}', out: '5' },
  'underscore digits': { tpl: '{{ 1_000 }}', out: '1000' },
  'float literal': { tpl: '{{ 1.5 }}', out: '1.5' },
  'float 1e3': { tpl: '{{ 1e3 }}', out: '1000' },
  'float 1e6 in exponent form': { tpl: '{{ 1e6 }}', out: '1e+06' },
  'small float': { tpl: '{{ 0.00001 }}', out: '1e-05' },
  'bool literal': { tpl: '{{ true }} {{ false }}', out: 'true false' },

  // ---- whitespace and comments ----
  'trim both sides': { tpl: 'a  {{- "b" -}}  c', out: 'abc' },
  'trim newlines': { tpl: 'x\n\n{{- 1 }}\n{{- 2 -}}\n\ny', out: 'x12y' },
  'minus number is not a trim marker': { tpl: 'a {{-3}}', out: 'a -3' },
  comment: { tpl: 'a{{/* hidden */}}b', out: 'ab' },
  'trimmed comment': { tpl: 'a {{- /* hidden */ -}} b', out: 'ab' },
  'multi-line comment': { tpl: 'a{{/* one\ntwo */}}b', out: 'ab' },
  'newline inside action': { tpl: '{{ print\n"a"\n"b" }}', out: 'ab' },

  // ---- pipelines ----
  'pipe appends as last argument': { tpl: '{{ "a" | printf "%s-%s" "b" }}', out: 'b-a' },
  'parenthesized argument': { tpl: '{{ printf "%s!" (print "x" "y") }}', out: 'xy!' },
  'chained pipeline': { tpl: '{{ "  Hi  " | trim | upper | quote }}', out: '"HI"' },
  'field of parenthesized value': {
    tpl: '{{ (fromJson .j).user.name }}',
    data: { j: '{"user":{"name":"bob"}}' },
    out: 'bob',
  },
  'declaration in pipeline prints nothing': { tpl: '{{ $x := upper "a" }}-{{ $x }}', out: '-A' },

  // ---- if / else ----
  'if true': { tpl: '{{ if .a }}yes{{ end }}', data: { a: 'x' }, out: 'yes' },
  'if empty string is false': { tpl: '{{ if .a }}yes{{ else }}no{{ end }}', data: { a: '' }, out: 'no' },
  'if missing key is false': { tpl: '{{ if .zzz }}yes{{ else }}no{{ end }}', data: {}, out: 'no' },
  'if zero is false': { tpl: '{{ if 0 }}yes{{ else }}no{{ end }}', out: 'no' },
  'if empty list is false': { tpl: '{{ if list }}yes{{ else }}no{{ end }}', out: 'no' },
  'if empty map is false': { tpl: '{{ if dict }}yes{{ else }}no{{ end }}', out: 'no' },
  'else if chain': {
    tpl: '{{ if eq .e "dev" }}d{{ else if eq .e "prod" }}p{{ else }}o{{ end }}',
    data: { e: 'prod' },
    out: 'p',
  },
  'else if falls to else': {
    tpl: '{{ if eq .e "dev" }}d{{ else if eq .e "prod" }}p{{ else }}o{{ end }}',
    data: { e: 'qa' },
    out: 'o',
  },

  // ---- range ----
  'range list': { tpl: '{{ range .l }}{{ . }},{{ end }}', data: { l: ['a', 'b', 'c'] }, out: 'a,b,c,' },
  'range with index': {
    tpl: '{{ range $i, $v := .l }}{{ $i }}={{ $v }} {{ end }}',
    data: { l: ['a', 'b'] },
    out: '0=a 1=b ',
  },
  'range map sorted keys': {
    tpl: '{{ range $k, $v := . }}{{ $k }}={{ $v }};{{ end }}',
    data: { b: '2', c: '3', a: '1' },
    out: 'a=1;b=2;c=3;',
  },
  'range single var is element': {
    tpl: '{{ range $v := .l }}{{ $v }}{{ end }}',
    data: { l: ['x', 'y'] },
    out: 'xy',
  },
  'range else on empty': { tpl: '{{ range .l }}x{{ else }}empty{{ end }}', data: { l: [] }, out: 'empty' },
  'range else on missing': { tpl: '{{ range .l }}x{{ else }}empty{{ end }}', data: {}, out: 'empty' },
  'range over int': { tpl: '{{ range 3 }}{{ . }}{{ end }}', out: '012' },
  'range over int with variable': { tpl: '{{ range $i := 2 }}[{{ $i }}]{{ end }}', out: '[0][1]' },
  'range break': {
    tpl: '{{ range .l }}{{ if eq . "c" }}{{ break }}{{ end }}{{ . }}{{ end }}',
    data: { l: ['a', 'b', 'c', 'd'] },
    out: 'ab',
  },
  'range continue': {
    tpl: '{{ range .l }}{{ if eq . "b" }}{{ continue }}{{ end }}{{ . }}{{ end }}',
    data: { l: ['a', 'b', 'c'] },
    out: 'ac',
  },
  'nested range keeps $': {
    tpl: '{{ range .l }}{{ range $.m }}{{ . }}{{ end }}{{ end }}',
    data: { l: ['1', '2'], m: ['x'] },
    out: 'xx',
  },
  'range assignment to outer variable': {
    tpl: '{{ $last := "" }}{{ range .l }}{{ $last = . }}{{ end }}{{ $last }}',
    data: { l: ['a', 'z'] },
    out: 'z',
  },

  // ---- with ----
  'with sets dot': { tpl: '{{ with .a }}{{ .b }}{{ end }}', data: { a: { b: 'c' } }, out: 'c' },
  'with else': { tpl: '{{ with .a }}{{ . }}{{ else }}none{{ end }}', data: { a: '' }, out: 'none' },
  'else with': {
    tpl: '{{ with .a }}a={{ . }}{{ else with .b }}b={{ . }}{{ else }}none{{ end }}',
    data: { a: '', b: 'B' },
    out: 'b=B',
  },
  'with declaration': { tpl: '{{ with $x := .a }}{{ $x }}{{ end }}', data: { a: 'v' }, out: 'v' },

  // ---- define / template / block ----
  'define and template': {
    tpl: '{{ define "x" }}[{{ . }}]{{ end }}{{ template "x" .a }}{{ template "x" "lit" }}',
    data: { a: 'A' },
    out: '[A][lit]',
  },
  'template without data has no dot': {
    tpl: '{{ define "x" }}{{ . }}{{ end }}{{ template "x" }}',
    out: '<no value>',
  },
  'template $ is its dot': {
    tpl: '{{ define "x" }}{{ $ }}{{ end }}{{ template "x" .a }}',
    data: { a: 'A' },
    out: 'A',
  },
  'block renders its body': { tpl: '{{ block "b" .a }}<{{ . }}>{{ end }}', data: { a: 'v' }, out: '<v>' },
  'define after use': { tpl: '{{ template "later" }}{{ define "later" }}ok{{ end }}', out: 'ok' },
  'recursive template': {
    tpl: '{{ define "r" }}{{ if gt . 0 }}{{ . }}{{ template "r" (sub . 1) }}{{ end }}{{ end }}{{ template "r" 3 }}',
    out: '321',
  },

  // ---- and / or / not ----
  'and returns first falsy': { tpl: '{{ and 1 0 2 }}', out: '0' },
  'and returns last': { tpl: '{{ and 1 "x" }}', out: 'x' },
  'or returns first truthy': { tpl: '{{ or 0 "" "x" }}', out: 'x' },
  'or returns last falsy': { tpl: '[{{ or 0 "" }}]', out: '[]' },
  'or short-circuits': { tpl: '{{ or "ok" (fail "never") }}', out: 'ok' },
  'and short-circuits': { tpl: '{{ and "" (fail "never") }}', out: '' },
  'or with pipeline default': { tpl: '{{ or .missing "fallback" }}', data: {}, out: 'fallback' },
  not: { tpl: '{{ not "" }} {{ not 1 }}', out: 'true false' },

  // ---- comparisons ----
  'eq strings': { tpl: '{{ eq .a "x" }}', data: { a: 'x' }, out: 'true' },
  'eq multi-arg': { tpl: '{{ eq .a "x" "y" "z" }}', data: { a: 'y' }, out: 'true' },
  'eq ints': { tpl: '{{ eq 1 1 }} {{ eq 1 2 }}', out: 'true false' },
  'eq json number and float': { tpl: '{{ eq (fromJson "3").x 3.0 }}', err: 'TemplateExec' },
  ne: { tpl: '{{ ne "a" "b" }}', out: 'true' },
  'lt le gt ge': {
    tpl: '{{ lt 1 2 }} {{ le 2 2 }} {{ gt "b" "a" }} {{ ge 1 2 }}',
    out: 'true true true false',
  },
  'eq nil and string is false': { tpl: '{{ eq .missing "x" }}', data: {}, out: 'false' },

  // ---- len / index / slice ----
  'len counts bytes': { tpl: '{{ len "héllo" }}', out: '6' },
  'len list and map': { tpl: '{{ len .l }} {{ len . }}', data: { l: ['a', 'b'] }, out: '2 1' },
  'index map key with dash': { tpl: '{{ index . "my-key" }}', data: { 'my-key': 'v' }, out: 'v' },
  'index list': { tpl: '{{ index .l 1 }}', data: { l: ['a', 'b'] }, out: 'b' },
  'index nested': { tpl: '{{ index .m "a" 0 }}', data: { m: { a: ['z'] } }, out: 'z' },
  'index missing key of secret data is empty': { tpl: '[{{ index . "nope" }}]', data: { a: 'x' }, out: '[]' },
  'index string gives byte': { tpl: '{{ index "abc" 1 }}', out: '98' },
  // Sprig's slice replaces Go's in ESO's function map, and it takes lists only.
  'slice string': {
    tpl: '{{ slice "abcdef" 1 3 }}',
    err: 'TemplateExec',
    msg: 'list should be type of slice or array but string',
  },
  'slice list': { tpl: '{{ slice .l 1 }}', data: { l: ['a', 'b', 'c'] }, out: '[b c]' },

  // ---- fmt ----
  'print spacing': { tpl: '{{ print "a" 1 2 "b" }}', out: 'a1 2b' },
  println: { tpl: '{{ println "a" 1 }}', out: 'a 1\n' },
  'printf ints': {
    tpl: '{{ printf "%d|%5d|%-5d|%05d|%+d" 42 42 42 42 42 }}',
    out: '42|   42|42   |00042|+42',
  },
  'printf hex': { tpl: '{{ printf "%x %X %x %#x" 255 255 "hi" 255 }}', out: 'ff FF 6869 0xff' },
  'printf quote': { tpl: '{{ printf "%q" "a\\"b\\n" }}', out: '"a\\"b\\n"' },
  'printf floats': {
    tpl: '{{ printf "%f|%.2f|%8.3f|%e|%g" 3.14159 3.14159 3.14159 1234.5678 1234.5678 }}',
    out: '3.141590|3.14|   3.142|1.234568e+03|1234.5678',
  },
  'printf strings': { tpl: '{{ printf "%5s|%-5s|%.2s" "ab" "ab" "abc" }}', out: '   ab|ab   |ab' },
  'printf bool and percent': { tpl: '{{ printf "%t %v 100%%" true "v" }}', out: 'true v 100%' },
  'printf list': { tpl: '{{ printf "%v" (list 1 "a") }}', out: '[1 a]' },
  'printf c o b': { tpl: '{{ printf "%c %o %b" 65 8 5 }}', out: 'A 10 101' },
  'printf type': { tpl: '{{ printf "%T %T %T" 1 "s" 1.5 }}', out: 'int string float64' },
  'printf wrong verb': { tpl: '{{ printf "%s" 5 }}', out: '%!s(int=5)' },
  'printf float verb on int': { tpl: '{{ printf "%.2f" 5 }}', out: '%!f(int=05)' },
  'printf missing arg': { tpl: '{{ printf "%d %d" 1 }}', out: '1 %!d(MISSING)' },
  'printf extra arg': { tpl: '{{ printf "%d" 1 2 }}', out: '1%!(EXTRA int=2)' },
  'printf nil': { tpl: '{{ printf "%v" nil }}', out: '<nil>' },

  // ---- escapers ----
  html: { tpl: `{{ html "<a href=\\"x\\">&'" }}`, out: '&lt;a href=&#34;x&#34;&gt;&amp;&#39;' },
  js: { tpl: `{{ js "it's <b>=" }}`, out: "it\\'s \\u003Cb\\u003E\\u003D" },
  urlquery: { tpl: '{{ urlquery "a b&c=d/é" }}', out: 'a+b%26c%3Dd%2F%C3%A9' },

  // ---- sprig strings ----
  'upper lower': { tpl: '{{ upper "abc" }} {{ lower "ABC" }}', out: 'ABC abc' },
  title: { tpl: '{{ title "hello world-foo bar_baz" }}', out: 'Hello World-Foo Bar_baz' },
  trim: { tpl: '[{{ trim "  x \\n" }}]', out: '[x]' },
  trimAll: { tpl: '{{ trimAll "$" "$5.00$" }}', out: '5.00' },
  'trimPrefix trimSuffix': {
    tpl: '{{ trimPrefix "foo" "foobar" }} {{ trimSuffix "bar" "foobar" }}',
    out: 'bar foo',
  },
  replace: { tpl: '{{ replace " " "-" "a b c" }}', out: 'a-b-c' },
  'quote and squote': { tpl: '{{ quote "a" 1 }} {{ squote "b" }}', out: '"a" "1" \'b\'' },
  'quote escapes': { tpl: '{{ quote "say \\"hi\\"" }}', out: '"say \\"hi\\""' },
  'contains hasPrefix hasSuffix': {
    tpl: '{{ contains "cat" "catch" }} {{ hasPrefix "ca" "cat" }} {{ hasSuffix "x" "cat" }}',
    out: 'true true false',
  },
  repeat: { tpl: '{{ repeat 3 "ab" }}', out: 'ababab' },
  nospace: { tpl: '{{ nospace "a b\\tc\\n" }}', out: 'abc' },
  indent: { tpl: '{{ indent 2 "a\\nb" }}', out: '  a\n  b' },
  nindent: { tpl: 'k:{{ nindent 2 "a\\nb" }}', out: 'k:\n  a\n  b' },
  toString: { tpl: '{{ toString 5 | printf "%q" }}', out: '"5"' },
  'substr trunc': { tpl: '{{ substr 1 3 "hello" }} {{ trunc 3 "hello" }}', out: 'el hel' },
  cat: { tpl: '{{ cat "a" 1 nil "b" }}', out: 'a 1 b' },
  'join list': { tpl: '{{ list "a" "b" 1 | join "," }}', out: 'a,b,1' },
  'split map': { tpl: '{{ (split "$" "foo$bar$baz")._1 }}', out: 'bar' },
  splitList: { tpl: '{{ splitList "," "a,b,c" }}', out: '[a b c]' },
  toStrings: { tpl: '{{ toStrings (list 1 "x") | printf "%q" }}', out: '["1" "x"]' },

  // ---- encodings and hashes ----
  b64enc: { tpl: '{{ b64enc "hello" }}', out: 'aGVsbG8=' },
  b64dec: { tpl: '{{ b64dec "aGVsbG8=" }}', out: 'hello' },
  'b64dec invalid returns the error text': {
    tpl: '{{ b64dec "!!!!" }}',
    out: 'illegal base64 data at input byte 0',
  },
  'b64 round trip unicode': { tpl: '{{ .v | b64enc | b64dec }}', data: { v: 'pässwörd' }, out: 'pässwörd' },
  b32enc: { tpl: '{{ b32enc "hi" }}', out: 'NBUQ====' },
  sha256sum: {
    tpl: '{{ sha256sum "hello" }}',
    out: '2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824',
  },
  sha1sum: { tpl: '{{ sha1sum "hello" }}', out: 'aaf4c61ddcc5e8a2dabede0f3b482cd9aea9434d' },
  'toJson sorted and html-safe': {
    tpl: '{{ dict "b" (list 1 "x") "a" "<&>" | toJson }}',
    out: '{"a":"\\u003c\\u0026\\u003e","b":[1,"x"]}',
  },
  'toJson string': { tpl: '{{ toJson .v }}', data: { v: 'a"b\n' }, out: '"a\\"b\\n"' },
  'toRawJson keeps html': { tpl: '{{ dict "a" "<b>" | toRawJson }}', out: '{"a":"<b>"}' },
  toPrettyJson: { tpl: '{{ dict "a" 1 "b" (list) | toPrettyJson }}', out: '{\n  "a": 1,\n  "b": []\n}' },
  'fromJson fields': {
    tpl: '{{ $c := fromJson .j }}{{ $c.user }}:{{ $c.port }}',
    data: { j: '{"user":"bob","port":5432}' },
    out: 'bob:5432',
  },
  'fromJson large number is float64': {
    tpl: '{{ (fromJson .j).n }}',
    data: { j: '{"n":1000000}' },
    out: '1e+06',
  },
  'fromJson invalid yields no value': { tpl: '{{ fromJson "nope" }}', out: '<no value>' },
  'fromJson then range': {
    tpl: '{{ range $k, $v := fromJson .j }}{{ $k }}={{ $v }} {{ end }}',
    data: { j: '{"b":"2","a":"1"}' },
    out: 'a=1 b=2 ',
  },
  toYaml: {
    tpl: '{{ dict "name" "app" "ports" (list 80 443) "n" "1" | toYaml }}',
    // "n" is a YAML 1.1 boolean, so go-yaml quotes the key (checked against Go).
    out: '"n": "1"\nname: app\nports:\n- 80\n- 443',
  },
  fromYaml: { tpl: '{{ (fromYaml .y).db.host }}', data: { y: 'db:\n  host: h1\n  port: 5432\n' }, out: 'h1' },
  'fromYaml error key': { tpl: '{{ if (fromYaml "- a").Error }}err{{ end }}', out: 'err' },

  // ---- defaults and flow ----
  'default on empty': { tpl: '{{ "" | default "d" }}', out: 'd' },
  'default on missing': { tpl: '{{ .missing | default "d" }}', data: {}, out: 'd' },
  'default keeps value': { tpl: '{{ default "d" "v" }}', out: 'v' },
  'default on zero': { tpl: '{{ 0 | default 5 }}', out: '5' },
  empty: {
    tpl: '{{ empty "" }} {{ empty list }} {{ empty 0 }} {{ empty "a" }}',
    out: 'true true true false',
  },
  coalesce: { tpl: '{{ coalesce "" .missing "c" }}', data: {}, out: 'c' },
  ternary: { tpl: '{{ ternary "yes" "no" true }} {{ true | ternary "y" "n" }}', out: 'yes y' },
  'required passes value': { tpl: '{{ required "need pw" .pw }}', data: { pw: 'x' }, out: 'x' },
  'required fails with message': {
    tpl: '{{ required "need pw" .pw }}',
    data: {},
    err: 'TemplateExec',
    msg: 'error calling required: need pw',
  },
  fail: {
    tpl: '{{ fail "boom" }}',
    err: 'TemplateExec',
    msg: 'executing "t" at <fail "boom">: error calling fail: boom',
  },

  // ---- lists and dicts ----
  list: { tpl: '{{ list 1 "a" }}', out: '[1 a]' },
  'first last': { tpl: '{{ first (list 1 2 3) }} {{ last (list 1 2 3) }}', out: '1 3' },
  'first of empty list': { tpl: '{{ first list }}', out: '<no value>' },
  'first of string fails': {
    tpl: '{{ first "x" }}',
    err: 'TemplateExec',
    msg: 'Cannot find first on type string',
  },
  'rest initial reverse': {
    tpl: '{{ rest (list 1 2 3) }} {{ initial (list 1 2 3) }} {{ reverse (list 1 2) }}',
    out: '[2 3] [1 2] [2 1]',
  },
  'append prepend concat': {
    tpl: '{{ append (list 1) 2 }} {{ prepend (list 1) 0 }} {{ concat (list 1) (list 2) }}',
    out: '[1 2] [0 1] [1 2]',
  },
  'uniq compact has without': {
    tpl: '{{ uniq (list 1 1 2) }} {{ compact (list "a" "" "b") }} {{ has 2 (list 1 2) }} {{ without (list 1 2 3) 2 }}',
    out: '[1 2] [a b] true [1 3]',
  },
  sortAlpha: { tpl: '{{ sortAlpha (list "b" "c" "a") }}', out: '[a b c]' },
  until: { tpl: '{{ until 3 }}', out: '[0 1 2]' },
  'dict get': { tpl: '{{ get (dict "a" "1") "a" }}[{{ get (dict) "x" }}]', out: '1[]' },
  'dict odd args': { tpl: '{{ dict "a" }}', out: 'map[a:]' },
  'set and hasKey': {
    tpl: '{{ $d := dict }}{{ $_ := set $d "k" "v" }}{{ hasKey $d "k" }} {{ $d.k }}',
    out: 'true v',
  },
  unset: { tpl: '{{ $d := dict "a" 1 "b" 2 }}{{ $_ := unset $d "a" }}{{ $d }}', out: 'map[b:2]' },
  'keys sorted': { tpl: '{{ keys (dict "b" 1 "a" 2) | join "," }}', out: 'a,b' },
  'values in key order': { tpl: '{{ values (dict "b" 1 "a" 2) }}', out: '[2 1]' },
  merge: { tpl: '{{ merge (dict "a" 1) (dict "a" 2 "b" 3) }}', out: 'map[a:1 b:3]' },
  pluck: { tpl: '{{ pluck "a" (dict "a" 1) (dict "b" 2) (dict "a" 3) }}', out: '[1 3]' },

  // ---- math ----
  'add sub mul': { tpl: '{{ add 1 2 3 }} {{ sub 5 3 }} {{ mul 2 3 4 }}', out: '6 2 24' },
  'div mod': { tpl: '{{ div 7 2 }} {{ mod 7 2 }} {{ div -7 2 }}', out: '3 1 -3' },
  'div by zero fails': { tpl: '{{ div 1 0 }}', err: 'TemplateExec', msg: 'integer divide by zero' },
  'add casts strings': { tpl: '{{ add "2" 3 }}', out: '5' },
  'add1 max min': { tpl: '{{ add1 1 }} {{ max 1 5 3 }} {{ min 4 2 8 }}', out: '2 5 2' },
  atoi: { tpl: '{{ atoi "42" }} {{ atoi "x" }}', out: '42 0' },
  'int int64 float64': { tpl: '{{ int "12" }} {{ int64 3.9 }} {{ float64 "1.5" }}', out: '12 3 1.5' },
  'math on json numbers': {
    tpl: '{{ add (fromJson .j).port 1 }}',
    data: { j: '{"port":5432}' },
    out: '5433',
  },

  // ---- regex ----
  regexMatch: {
    tpl: '{{ regexMatch "^[a-z]+$" "abc" }} {{ regexMatch "^[a-z]+$" "a1" }}',
    out: 'true false',
  },
  'regexMatch invalid pattern is false': { tpl: '{{ regexMatch "(" "abc" }}', out: 'false' },
  'regexReplaceAll with ${1}': { tpl: '{{ regexReplaceAll "a(x*)b" "-ab-axxb-" "${1}W" }}', out: '-W-xxW-' },
  'regexReplaceAll $1W is a named group': {
    tpl: '{{ regexReplaceAll "a(x*)b" "-ab-axxb-" "$1W" }}',
    out: '---',
  },
  'regexReplaceAll $1': { tpl: '{{ regexReplaceAll "a(x*)b" "-ab-axxb-" "$1" }}', out: '--xx-' },
  'regexReplaceAll named': {
    tpl: '{{ regexReplaceAll "(?P<user>\\\\w+)@(?P<dom>\\\\w+)" "bob@ex" "${dom}/${user}" }}',
    out: 'ex/bob',
  },
  'regexReplaceAll empty matches like Go': { tpl: '{{ regexReplaceAll "x*" "xa" "-" }}', out: '-a-' },
  regexReplaceAllLiteral: { tpl: '{{ regexReplaceAllLiteral "a(x*)b" "-ab-" "$1" }}', out: '-$1-' },
  regexFind: { tpl: '{{ regexFind "[a-z]+" "123abc456def" }}', out: 'abc' },
  regexFindAll: { tpl: '{{ regexFindAll "[0-9]" "a1b2c3" 2 }}', out: '[1 2]' },
  regexSplit: { tpl: '{{ regexSplit "[,;]" "a,b;c" -1 }}', out: '[a b c]' },
  'regex case-insensitive flag': { tpl: '{{ regexMatch "(?i)^abc$" "ABC" }}', out: 'true' },

  // ---- ESO documented shapes ----
  'ESO dockerconfigjson via printf': {
    tpl: '{"auths":{"{{ .host }}":{"username":"{{ .username }}","password":"{{ .password }}","auth":"{{ printf "%s:%s" .username .password | b64enc }}"}}}',
    data: { ...creds, host: 'registry.example.com' },
    out: '{"auths":{"registry.example.com":{"username":"user","password":"pass","auth":"dXNlcjpwYXNz"}}}',
  },
  'ESO dockerconfigjson via toJson': {
    tpl: '{{ dict "auths" (dict .host (dict "username" .username "password" .password "auth" (printf "%s:%s" .username .password | b64enc))) | toJson }}',
    data: { ...creds, host: 'registry.example.com' },
    out: '{"auths":{"registry.example.com":{"auth":"dXNlcjpwYXNz","password":"pass","username":"user"}}}',
  },
  'ESO connection string': {
    tpl: 'postgresql://{{ .username }}:{{ .password | urlquery }}@{{ .host }}:5432/{{ .db }}?sslmode=require',
    data: { ...creds, password: 'p@ss w/rd' },
    out: 'postgresql://user:p%40ss+w%2Frd@db.example.com:5432/app?sslmode=require',
  },
  'ESO config file with range': {
    tpl: '[settings]\n{{- range $k, $v := . }}\n{{ $k }} = {{ $v | quote }}\n{{- end }}\n',
    data: { user: 'u', pass: 'p' },
    out: '[settings]\npass = "p"\nuser = "u"\n',
  },
  'ESO multiline config': {
    tpl: 'datasources:\n- name: db\n  user: {{ .username }}\n  password: {{ .password | quote }}\n',
    data: creds,
    out: 'datasources:\n- name: db\n  user: user\n  password: "pass"\n',
  },
  'ESO JSON property extraction': {
    tpl: '{{ (.config | fromJson).database.password }}',
    data: { config: '{"database":{"password":"dbpw"}}' },
    out: 'dbpw',
  },
  'ESO dash key via index': {
    tpl: '{{ index . "service-account-token" | b64dec }}',
    data: { 'service-account-token': 'dG9r' },
    out: 'tok',
  },

  // ---- parse errors ----
  'unclosed action': { tpl: '{{ .a ', err: 'TemplateParse', msg: 'unclosed action' },
  'missing if value': { tpl: '{{ if }}x{{ end }}', err: 'TemplateParse', msg: 'missing value for if' },
  'stray end': { tpl: '{{ end }}', err: 'TemplateParse', msg: 'unexpected {{end}}' },
  'missing end': { tpl: '{{ range .l }}x', err: 'TemplateParse', msg: 'unexpected EOF' },
  'undefined function': { tpl: '{{ nosuch 1 }}', err: 'TemplateParse', msg: 'function "nosuch" not defined' },
  'undefined variable': { tpl: '{{ $x }}', err: 'TemplateParse', msg: 'undefined variable "$x"' },
  'variable out of scope': { tpl: '{{ if true }}{{ $x := 1 }}{{ end }}{{ $x }}', err: 'TemplateParse' },
  'break outside range': { tpl: '{{ break }}', err: 'TemplateParse', msg: '{{break}} outside {{range}}' },
  'unterminated string': { tpl: '{{ "abc }}', err: 'TemplateParse', msg: 'unterminated quoted string' },
  'bad number': { tpl: '{{ 3x }}', err: 'TemplateParse', msg: 'bad number syntax' },
  'non executable pipeline stage': {
    tpl: '{{ .a | "x" }}',
    err: 'TemplateParse',
    msg: 'non executable command in pipeline stage 2',
  },
  'unexpected right paren': { tpl: '{{ ) }}', err: 'TemplateParse', msg: 'unexpected right paren' },
  'unclosed left paren': { tpl: '{{ (print 1 }}', err: 'TemplateParse', msg: 'unclosed left paren' },
  'unclosed comment': { tpl: '{{/* x }}', err: 'TemplateParse', msg: 'unclosed comment' },
  'comment ends early': {
    tpl: '{{/* x */ y }}',
    err: 'TemplateParse',
    msg: 'comment ends before closing delimiter',
  },
  'define not at top level': { tpl: '{{ if true }}{{ define "x" }}{{ end }}{{ end }}', err: 'TemplateParse' },
  'duplicate define': {
    tpl: '{{ define "x" }}a{{ end }}{{ define "x" }}b{{ end }}',
    err: 'TemplateParse',
    msg: 'multiple definition',
  },
  'bad character': { tpl: '{{ .a-b }}', err: 'TemplateParse', msg: "bad character U+002D '-'" },
  'else if inside range': { tpl: '{{ range .l }}{{ else if true }}{{ end }}', err: 'TemplateParse' },

  // ---- exec errors ----
  'field of string': {
    tpl: '{{ .a.b }}',
    data: { a: 'x' },
    err: 'TemplateExec',
    msg: "can't evaluate field b in type string",
  },
  'index out of range': {
    tpl: '{{ index .l 5 }}',
    data: { l: ['a'] },
    err: 'TemplateExec',
    msg: 'index out of range: 5',
  },
  'wrong argument type': { tpl: '{{ upper 5 }}', err: 'TemplateExec', msg: 'expected string; found 5' },
  'wrong value type': {
    tpl: '{{ upper .n }}',
    data: { n: 5 },
    err: 'TemplateExec',
    msg: 'wrong type for value; expected string; got int',
  },
  'missing value for string param': {
    tpl: '{{ upper .missing }}',
    data: {},
    err: 'TemplateExec',
    msg: 'invalid value; expected string',
  },
  'wrong arg count': {
    tpl: '{{ upper "a" "b" }}',
    err: 'TemplateExec',
    msg: 'wrong number of args for upper: want 1 got 2',
  },
  'len of int': { tpl: '{{ len 3 }}', err: 'TemplateExec', msg: 'error calling len: len of type int' },
  'template not defined': {
    tpl: '{{ template "nope" }}',
    err: 'TemplateExec',
    msg: 'template "nope" not defined',
  },
  'nil is not a command': { tpl: '{{ nil }}', err: 'TemplateExec', msg: 'nil is not a command' },
  'argument to non-function': {
    tpl: '{{ .a 1 }}',
    data: { a: 'x' },
    err: 'TemplateExec',
    msg: 'a is not a method but has arguments',
  },
  'incompatible comparison': {
    tpl: '{{ eq 1 "1" }}',
    err: 'TemplateExec',
    msg: 'incompatible types for comparison',
  },
  'non-comparable': { tpl: '{{ eq (list) (list) }}', err: 'TemplateExec', msg: 'non-comparable type' },
  'bool not ordered': { tpl: '{{ lt true false }}', err: 'TemplateExec', msg: 'invalid type for comparison' },
  'range over string': {
    tpl: '{{ range .a }}{{ end }}',
    data: { a: 'x' },
    err: 'TemplateExec',
    msg: "range can't iterate over",
  },
  'infinite recursion': {
    tpl: '{{ define "r" }}{{ template "r" . }}{{ end }}{{ template "r" . }}',
    err: 'TemplateExec',
    msg: 'exceeded maximum template depth',
  },
  'nil field access': {
    tpl: '{{ (fromJson .j).a.b }}',
    data: { j: '{"a":null}' },
    err: 'TemplateExec',
    msg: 'nil pointer evaluating',
  },
  'regexFind invalid pattern fails': {
    tpl: '{{ regexFind "(" "x" }}',
    err: 'TemplateExec',
    msg: 'error parsing regexp',
  },
  'mustFromJson invalid': { tpl: '{{ mustFromJson "{" }}', err: 'TemplateExec', msg: 'invalid JSON' },
  'delimiters inside a string': { tpl: '{{ "}}{{" }}', out: '}}{{' },
  'nested parentheses': { tpl: '{{ upper (printf "%s-%s" (lower "A") (trim " b ")) }}', out: 'A-B' },
  'and with comparisons': {
    tpl: '{{ if and (eq .env "prod") (ne .region "") }}ok{{ end }}',
    data: { env: 'prod', region: 'eu' },
    out: 'ok',
  },
  'right trim only': { tpl: '{{ 3 -}}  \n x', out: '3x' },
  'len in pipeline': { tpl: '{{ .a | len }}', data: { a: 'abcd' }, out: '4' },
  'printf map': { tpl: '{{ printf "%v" (dict "b" 2 "a" 1) }}', out: 'map[a:1 b:2]' },
  'toYaml multi-line string': { tpl: '{{ dict "cert" "a\\nb" | toYaml }}', out: 'cert: |-\n  a\n  b' },
  'json null prints no value': { tpl: '{{ (fromJson .j).a }}', data: { j: '{"a":null}' }, out: '<no value>' },
};

describe('golden corpus', () => {
  it('has at least 100 cases', () => {
    expect(Object.keys(cases).length).toBeGreaterThanOrEqual(100);
  });

  it.each(Object.entries(cases))('%s', (_name, c) => {
    const run = (): string => renderTemplate('t', c.tpl, c.data ?? {});
    if (c.err) {
      let caught: unknown;
      try {
        run();
      } catch (e) {
        caught = e;
      }
      expect(caught).toBeInstanceOf(TemplateError);
      const err = caught as TemplateError;
      expect(err.reason).toBe(c.err);
      expect(err.templateName).toBe('t');
      expect(err.message).toMatch(/^template: t:\d+/);
      if (c.msg) expect(err.message).toContain(c.msg);
    } else {
      expect(run()).toBe(c.out);
    }
  });
});
