// toYaml and fromYaml as ESO runs them (sigs.k8s.io/yaml v1.6: JSON read back and written by
// go-yaml v2), each expected output recorded from Go 1.26 with that library: quoting by YAML 1.1
// resolution, go-yaml's natural key order, literal blocks, folding at 80 columns, YAML 1.1
// booleans and octals when reading.

import { runGoldenCases } from './testing/golden-cases.js';
import type { GoldenCase } from './testing/golden-cases.js';

const cases: Record<string, GoldenCase> = {
  'scalars needing quotes': {
    tpl: '{{ dict "a" "yes" "b" "1.0" "c" "" "d" "null" "e" "a: b" "f" "~" "g" "0x1F" "h" "true" "i" "-" "j" " lead" "k" "trail " "l" "#c" "m" "@x" "n" "01" "o" "1e3" | toYaml }}',
    out: 'a: "yes"\nb: "1.0"\nc: ""\nd: "null"\ne: \'a: b\'\nf: "~"\ng: "0x1F"\nh: "true"\ni: \'-\'\nj: \' lead\'\nk: \'trail \'\nl: \'#c\'\nm: \'@x\'\n"n": "01"\no: "1e3"',
  },
  'multi-line strings': {
    tpl: '{{ dict "a" "x\\ny\\n" "b" "x\\ny" "c" "  x\\ny" "d" "x\\n\\n" | toYaml }}',
    out: 'a: |\n  x\n  y\nb: |-\n  x\n  y\nc: |2-\n    x\n  y\nd: |+\n  x\n',
  },
  'numbers and bools': {
    tpl: '{{ dict "f" 1.5 "big" 1000000 "neg" -3 "t" true "n" nil "fl" (float64 "1e6") "tiny" 0.000001 | toYaml }}',
    out: 'big: 1000000\nf: 1.5\nfl: 1000000\n"n": null\nneg: -3\nt: true\ntiny: 1e-06',
  },
  nested: {
    tpl: '{{ dict "m" (dict "l" (list (dict "x" 1 "y" (list)) (list 1 2) "s")) "e" (dict) | toYaml }}',
    out: 'e: {}\nm:\n  l:\n  - x: 1\n    "y": []\n  - - 1\n    - 2\n  - s',
  },
  'list top': { tpl: '{{ list 1 "two" (dict "k" "v") | toYaml }}', out: '- 1\n- two\n- k: v' },
  'string top': {
    tpl: '[{{ toYaml "hello" }}][{{ toYaml "" }}][{{ toYaml nil }}][{{ toYaml 5 }}]',
    out: '[hello][""][null][5]',
  },
  'unicode and special': {
    tpl: '{{ dict "u" "ünï" "tab" "a\\tb" "q" "it\'s" "dq" "say \\"x\\"" "colon" "a:b" "brace" "{x}" | toYaml }}',
    out: 'brace: \'{x}\'\ncolon: a:b\ndq: say "x"\nq: it\'s\ntab: "a\\tb"\nu: ünï',
  },
  'keys needing quotes': {
    tpl: '{{ dict "yes" 1 "1" 2 "a b" 3 "" 4 | toYaml }}',
    out: '"": 4\n"1": 2\na b: 3\n"yes": 1',
  },
  'fromYaml types': {
    tpl: '{{ $m := fromYaml .y }}{{ $m.a }}|{{ $m.b }}|{{ $m.c }}|{{ $m.d }}|{{ typeOf $m.b }}|{{ $m.e }}|{{ toJson $m }}',
    data: { y: 'a: x\nb: 5\nc: [1, two]\nd: {k: v}\ne: yes\nf: 1.5e3\ng: null\n' },
    out: 'x|5|[1 two]|map[k:v]|float64|true|{"a":"x","b":5,"c":[1,"two"],"d":{"k":"v"},"e":true,"f":1500,"g":null}',
  },
  'fromYaml list': {
    tpl: '{{ (fromYaml .y).Error }}',
    data: { y: '- a\n- b' },
    out: 'error unmarshaling JSON: while decoding JSON: json: cannot unmarshal array into Go value of type map[string]interface {}',
  },
  'fromYaml empty': { tpl: '{{ fromYaml .y }}', data: { y: '' }, out: 'map[]' },
  'fromYaml scalar': {
    tpl: '{{ (fromYaml .y).Error }}',
    data: { y: 'hello' },
    out: 'error unmarshaling JSON: while decoding JSON: json: cannot unmarshal string into Go value of type map[string]interface {}',
  },
  'fromYaml int keys': {
    tpl: '{{ toJson (fromYaml .y) }}',
    data: { y: '1: a\ntrue: b' },
    out: '{"1":"a","true":"b"}',
  },
  'fromYaml anchors': {
    tpl: '{{ toJson (fromYaml .y) }}',
    data: { y: 'a: &x {k: v}\nb: *x' },
    out: '{"a":{"k":"v"},"b":{"k":"v"}}',
  },
  'long plain': {
    tpl: '{{ dict "k" "the quick brown fox jumps over the lazy dog and keeps running far away into the distant hills beyond" | toYaml }}',
    out: 'k: the quick brown fox jumps over the lazy dog and keeps running far away into the\n  distant hills beyond',
  },
  'long double': {
    tpl: '{{ dict "k" "yes the quick brown fox jumps over the lazy dog and keeps running far away into the distant hills beyond\\t" | toYaml }}',
    out: 'k: "yes the quick brown fox jumps over the lazy dog and keeps running far away into\n  the distant hills beyond\\t"',
  },
  'long single': {
    tpl: '{{ dict "k" "- the quick brown fox jumps over the lazy dog and keeps running far away into the distant hills beyond" | toYaml }}',
    out: "k: '- the quick brown fox jumps over the lazy dog and keeps running far away into\n  the distant hills beyond'",
  },
  'long no spaces': {
    tpl: '{{ dict "k" (repeat 100 "a") | toYaml }}',
    out: 'k: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa',
  },
  'dates and specials': {
    tpl: '{{ dict "a" "2024-01-01" "b" "1:30" "c" "y" "d" "N" "e" "On" "f" ".inf" "g" "+1" "h" ".5" "i" "1_000" "j" "0b101" "k" "0o17" "l" "2024-01-01T10:00:00Z" "m" "=" "n2" "<<" "o" "a #b" "p" "a# b" "q" "!x" "r" "%x" "s" "&x" "t" "*x" "u" "|x" "v" ">x" "w" "?x" "x" "? x" "z" "x:" | toYaml }}',
    out: 'a: "2024-01-01"\nb: "1:30"\nc: "y"\nd: "N"\ne: "On"\nf: ".inf"\ng: "+1"\nh: ".5"\ni: "1_000"\nj: "0b101"\nk: "0o17"\nl: "2024-01-01T10:00:00Z"\nm: =\nn2: <<\no: \'a #b\'\np: a# b\nq: \'!x\'\nr: \'%x\'\ns: \'&x\'\nt: \'*x\'\nu: \'|x\'\nv: \'>x\'\nw: ?x\nx: \'? x\'\nz: \'x:\'',
  },
  'natural key order': {
    tpl: '{{ dict "item10" 1 "item2" 2 "item1" 3 "B" 4 "a" 5 "_z" 6 "a01" 7 "a1" 8 "a001" 9 | toYaml }}',
    out: '_z: 6\nB: 4\na: 5\na1: 8\na01: 7\na001: 9\nitem1: 3\nitem2: 2\nitem10: 1',
  },
  'unicode escapes': {
    tpl: '{{ dict "a" "x\\u0001y" "b" "\\u00a0x" "e" "€" | toYaml }}',
    out: 'a: "x\\x01y"\nb:  x\ne: €',
  },
  'control and CR': {
    tpl: '{{ dict "a" "x\\ry" "b" "x\\r\\ny" "c" "x \\ny" "d" "x\\n y" "e" "\\nx" | toYaml }}',
    out: 'a: "x\\ry"\nb: "x\\r\\ny"\nc: "x \\ny"\nd: |-\n  x\n   y\ne: |2-\n\n  x',
  },
  floats: {
    tpl: '{{ dict "a" (float64 "3") "b" (float64 "1e21") "c" (float64 "1e-7") "d" (float64 "123456789.5") "e" (float64 "-0.5") | toYaml }}',
    out: 'a: 3\nb: 1e+21\nc: 1e-07\nd: 1.234567895e+08\ne: -0.5',
  },
  'fromYaml 1.1 scalars': {
    tpl: '{{ toJson (fromYaml .y) }}',
    data: {
      y: "a: y\nb: on\nc: 0777\nd: 1:30\ne: 0x1F\ng: 2024-01-01\nh: ~\ni: 1_000\nj: +12\nk: '01'\nl: 1e3\nm: OFF\n",
    },
    out: '{"a":true,"b":true,"c":511,"d":"1:30","e":31,"g":"2024-01-01","h":null,"i":1000,"j":12,"k":"01","l":1000,"m":false}',
  },
  'fromYaml big int': {
    tpl: '{{ toJson (fromYaml .y) }}',
    data: { y: 'a: 12345678901234567890\nb: 9007199254740993\n' },
    out: '{"a":12345678901234567000,"b":9007199254740992}',
  },
  'list in list and maps in lists': {
    tpl: '{{ list (list) (dict) (list (dict "a" (list 1 (dict "b" "c")))) "multi\\nline" | toYaml }}',
    out: '- []\n- {}\n- - a:\n    - 1\n    - b: c\n- |-\n  multi\n  line',
  },
  'nested multiline': {
    tpl: '{{ dict "a" (dict "b" "x\\ny") "l" (list "p\\nq\\n") | toYaml }}',
    out: 'a:\n  b: |-\n    x\n    y\nl:\n- |\n  p\n  q',
  },
  'long key': {
    tpl: '{{ dict (repeat 130 "k") 1 | toYaml }}',
    out: '? kkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkk\n: 1',
  },
  'long in list': {
    tpl: '{{ list "the quick brown fox jumps over the lazy dog and keeps running far away into the distant hills beyond" | toYaml }}',
    out: '- the quick brown fox jumps over the lazy dog and keeps running far away into the\n  distant hills beyond',
  },
  'fromYaml merge and timestamps': {
    tpl: '{{ toJson (fromYaml .y) }}',
    data: { y: 'base: &b {x: 1}\nd:\n  <<: *b\n  y: 2\nt: 2024-01-01T10:00:00Z\ns: 1:30\n' },
    out: '{"base":{"x":1},"d":{"true":2,"x":1},"s":"1:30","t":"2024-01-01T10:00:00Z"}',
  },
  'control characters make Marshal fail': {
    tpl: '[{{ dict "g" "x\\u007fy" | toYaml }}][{{ dict "f" "\\u2028" | toYaml }}][{{ list "\\u0090" | toYaml }}]',
    out: "[][f: ' '][]",
  },
};

runGoldenCases('toYaml and fromYaml, golden from Go', cases);
