// Golden cases for the Sprig and ESO functions (edge cases), recorded from Go: each `out` (or
// `go`, Go's error) is what Go 1.26's text/template with Sprig at the revision ESO 2.9 vendors
// printed for the template, run with TZ=UTC. Where Syncret's message differs on purpose (no
// input text in errors), `msg` is the part both share. docs/TEMPLATES.md lists the differences.

import { runGoldenCases } from './testing/golden-cases.js';
import type { GoldenCase } from './testing/golden-cases.js';

const cases: Record<string, GoldenCase> = {
  'parse fraction then format 999': {
    tpl: '{{ (toDate "2006-01-02 15:04:05.000000" "2024-01-02 03:04:05.120000").Format "15:04:05.999 .000 .99" }}',
    out: '03:04:05.12 .120 .12',
  },
  'format nanoseconds': {
    tpl: '{{ $t := toDate "2006-01-02 15:04:05.999999999" "2024-01-02 03:04:05.000000001" }}{{ $t.Format ".000000000 .999999999 ,9" }} {{ $t.Nanosecond }}',
    out: '.000000001 .000000001  1',
  },
  'zero time formats': {
    tpl: '{{ (toDate "x" "y").Format "2006-01-02 Mon Z07:00 MST" }} {{ (toDate "x" "y").Unix }} {{ (toDate "x" "y").IsZero }}',
    out: '0001-01-01 Mon Z UTC -62135596800 true',
  },
  'parse 2-digit year': {
    tpl: '{{ (toDate "06-01-02" "69-01-02").Year }} {{ (toDate "06-01-02" "68-01-02").Year }}',
    out: '1969 2068',
  },
  'parse Monday names': {
    tpl: '{{ toDate "Mon Jan 2 2006" "Fri Mar 1 2024" | htmlDate }} {{ toDate "Monday, 02-Jan-06" "friday, 01-Mar-24" | htmlDate }}',
    out: '2024-03-01 2024-03-01',
  },
  'parse underscore day': { tpl: '{{ toDate "Jan _2 2006" "Mar  1 2024" | htmlDate }}', out: '2024-03-01' },
  'parse numeric offsets': {
    tpl: '{{ toDate "2006-01-02 -0700" "2024-03-01 +0530" }}|{{ toDate "2006-01-02 -07" "2024-03-01 -03" }}|{{ toDate "2006-01-02 Z07:00:00" "2024-03-01 +01:02:03" }}',
    out: '2024-03-01 00:00:00 +0530 +0530|2024-03-01 00:00:00 -0300 -0300|2024-03-01 00:00:00 +0102 +0102',
  },
  'parse GMT offset name': {
    tpl: '{{ toDate "2006-01-02 MST" "2024-03-01 GMT+3" }}',
    out: '2024-03-01 03:00:00 +0300 GMT+3',
  },
  'parse seconds with comma': { tpl: '{{ (toDate "15:04:05" "10:11:12,5").Nanosecond }}', out: '500000000' },
  'parse hour out of range': {
    tpl: '{{ mustToDate "15:04" "24:00" }}',
    err: 'TemplateExec',
    msg: 'parsing time: hour out of range',
    go: 'template: t:1:3: executing "t" at <mustToDate "15:04" "24:00">: error calling mustToDate: parsing time "24:00": hour out of range',
  },
  'parse bad element': {
    tpl: '{{ mustToDate "2006-01-02" "2024/01/02" }}',
    err: 'TemplateExec',
    msg: 'parsing time as "2006-01-02": cannot parse as "-"',
    go: 'template: t:1:3: executing "t" at <mustToDate "2006-01-02" "2024/01/02">: error calling mustToDate: parsing time "2024/01/02" as "2006-01-02": cannot parse "/01/02" as "-"',
  },
  'parse day of year mismatch': {
    tpl: '{{ mustToDate "2006-01-02 002" "2024-01-05 010" }}',
    err: 'TemplateExec',
    msg: 'parsing time: day-of-year does not match day',
    go: 'template: t:1:3: executing "t" at <mustToDate "2006-01-02 002" "2024-01-05 010">: error calling mustToDate: parsing time "2024-01-05 010": day-of-year does not match day',
  },
  'parse RFC1123': {
    tpl: '{{ toDate "Mon, 02 Jan 2006 15:04:05 MST" "Fri, 01 Mar 2024 12:00:00 UTC" | unixEpoch }}',
    out: '1709294400',
  },
  'parse RFC3339Nano': {
    tpl: '{{ (toDate "2006-01-02T15:04:05.999999999Z07:00" "2024-03-01T12:00:00.5-08:00").UTC }}',
    out: '2024-03-01 20:00:00.5 +0000 UTC',
  },
  'ParseDuration forms': {
    tpl: '{{ $t := toDate "2006" "2024" }}{{ range list "1.5h" ".5s" "+5m" "0" "1h2m3s4ms5us6ns" "1µs" "-1.25m" "100ns" }}{{ ($t | dateModify .).Sub $t }} {{ end }}',
    out: '1h30m0s 500ms 5m0s 0s 1h2m3.004005006s 1µs -1m15s 100ns ',
  },
  'ParseDuration bad forms': {
    tpl: '{{ $t := toDate "2006" "2024" }}{{ range list "1h-2m" "h" "1" "1.h" "." "" "1hh" "9999999999999999999h" }}{{ (($t | dateModify .).Sub $t) }} {{ end }}',
    out: '0s 0s 0s 1h0m0s 0s 0s 0s 0s ',
  },
  'durationRound of ints': {
    tpl: '{{ durationRound (int64 3600000000001) }} {{ durationRound (int64 -86400000000001) }}',
    out: '1h 1d',
  },
  'urlParse forms': {
    tpl: '{{ range list "//host/path" "http://u@h" "http://[::1%25en0]:8080/" "/a b?c d#e f" "HTTP://X.com/A" "http://h/a%2Fb" "file:///etc/hosts" "foo:bar:baz" "?q" "#f" "*" }}{{ $u := urlParse . }}{{ $u.scheme }}|{{ $u.host }}|{{ $u.hostname }}|{{ $u.path }}|{{ $u.query }}|{{ $u.opaque }}|{{ $u.fragment }}|{{ $u.userinfo }};{{ end }}',
    out: '|host|host|/path||||;http|h|h|||||u;http|[::1%en0]:8080|::1%en0|/||||;|||/a b|c d||e f|;http|X.com|X.com|/A||||;http|h|h|/a/b||||;file|||/etc/hosts||||;foo|||||bar:baz||;||||q|||;||||||f|;|||*||||;',
  },
  'urlParse two ports': {
    tpl: '{{ urlParse "http://h:80:90/" }}',
    err: 'TemplateExec',
    msg: 'unable to parse url: invalid port',
    go: 'template: t:1:3: executing "t" at <urlParse "http://h:80:90/">: error calling urlParse: unable to parse url: parse "http://h:80:90/": invalid port ":80:90" after host',
  },
  'urlParse two colons other scheme': { tpl: '{{ (urlParse "ftp://h:80:90/").host }}', out: 'h:80:90' },
  'urlParse first segment colon': {
    tpl: '{{ urlParse "a:b/c" | toJson }}',
    out: '{"fragment":"","host":"","hostname":"","opaque":"b/c","path":"","query":"","scheme":"a","userinfo":""}',
  },
  'urlJoin forms': {
    tpl: '{{ urlJoin (dict "path" "a:b") }}|{{ urlJoin (dict "host" "h" "path" "x") }}|{{ urlJoin (dict "scheme" "http" "path" "/x y") }}|{{ urlJoin (dict) }}|{{ urlJoin (dict "fragment" "a#b" "query" "x y") }}',
    out: './a:b|//h/x|http:///x%20y||?x y#a%23b',
  },
  'urlJoin bad userinfo': {
    tpl: '{{ urlJoin (dict "userinfo" "a b" "host" "h") }}',
    err: 'TemplateExec',
    msg: 'unable to parse userinfo in dict: net/url: invalid userinfo',
    go: 'template: t:1:3: executing "t" at <urlJoin (dict "userinfo" "a b" "host" "h")>: error calling urlJoin: unable to parse userinfo in dict: parse "proto://a b@host": net/url: invalid userinfo',
  },
  'snakecase more': {
    tpl: '{{ range list "" "a" "A" "aB" "ABc" "a1" "1a" "ID" "iPhone" "myHTTPServer2Go" "foo--bar" "  x  " "version1.2.3" "öffnenDatei" "HTTPSConnection" "a_B_c" "X-Forwarded-For" "abc123def" "123" "A1B2" }}[{{ snakecase . }}]{{ end }}',
    out: '[][a][a][a_b][a_bc][a1][1a][id][i_phone][my_http_server2_go][foo__bar][__x__][version1.2.3][öffnen_datei][https_connection][a_b_c][x_forwarded_for][abc_123def][123][a1_b2]',
  },
  'kebabcase more': {
    tpl: '{{ range list "myHTTPServer2Go" "foo_bar" "Foo Bar" }}[{{ kebabcase . }}]{{ end }}',
    out: '[my-http-server2-go][foo-bar][foo-bar]',
  },
  'camelcase more': {
    tpl: '{{ range list "" "a" "foo_bar_baz" "foo-bar" "foo bar" "__x__" "Foo_Bar" "foo1_bar2" "ünïcode_wörld" }}[{{ camelcase . }}]{{ end }}',
    out: '[][A][FooBarBaz][FooBar][FooBar][__X__][FooBar][Foo1Bar2][ÜnïcodeWörld]',
  },
  'swapcase more': {
    tpl: '{{ swapcase "ǆemal  ĳssel Über" }}|{{ swapcase "a1b2 C3d4" }}',
    out: 'ǅEMAL  ĲSSEL üBER|A1B2 c3D4',
  },
  'wrap edge': {
    tpl: '{{ wrap 1 "a b c" }}|{{ wrap 0 "abc def" }}|{{ wrap 4 "  abc  def  " }}|{{ wrapWith 4 "<br>" "abcdefghij klm" }}',
    out: 'a\nb\nc|abc\ndef|abc \ndef \n|abcd<br>efgh<br>ij<br>klm',
  },
  'abbrev edge': {
    tpl: '{{ abbrev 4 "abcdefg" }}|{{ abbrev 6 "abcdefg" }}|{{ abbrevboth 4 7 "abcdefghijklmno" }}|{{ abbrevboth 5 7 "abcdefghijklmno" }}|{{ abbrevboth 0 4 "" }}',
    out: 'a...|abc...|abcd...|...f...|',
  },
  'initials edge': { tpl: '{{ initials "hello\\tworld\\nnew line" }}', out: 'hwnl' },
  'round edge': {
    tpl: '{{ round 1234.5678 -2 }} {{ round 0.125 2 }} {{ round 1.005 2 }} {{ round -1.5 0 }} {{ round 5 0 }}',
    out: '1200 0.13 1 -2 5',
  },
  'decimal edge': {
    tpl: '{{ divf 1 3 }} {{ divf 2 3 }} {{ mulf 1.1 1.1 }} {{ subf 0.3 0.1 }} {{ addf 1e20 1 }} {{ divf -1 3 }} {{ divf 10 4 2 }} {{ add1f "x" }}',
    out: '0.3333333333333333 0.6666666666666667 1.21 0.2 1e+20 -0.3333333333333333 1.25 1',
  },
  'seq more': {
    tpl: '{{ seq -3 }}|{{ seq 2 2 }}|{{ seq 3 -1 0 }}|{{ seq 0 0 0 }}|{{ seq 1 0 3 }}',
    out: '1 0 -1 -2 -3|2|3 2 1 0||',
  },
  'toDecimal more': {
    tpl: '{{ toDecimal "0" }} {{ toDecimal "" }} {{ toDecimal "+7" }} {{ toDecimal "07_7" }} {{ toDecimal 1.5 }}',
    out: '0 0 7 0 0',
  },
  'semverCompare prerelease': {
    tpl: '{{ semverCompare "^1.2.3-beta" "1.2.3-beta.2" }} {{ semverCompare "~1.2.3-beta" "1.2.4" }} {{ semverCompare ">1.0.0-alpha" "1.0.0" }} {{ semverCompare ">=1.2.3-0" "1.2.3-rc" }} {{ semverCompare "1.2.3-beta" "1.2.3-beta" }} {{ semverCompare "<2.0.0-0" "2.0.0-rc1" }}',
    out: 'true true true true true false',
  },
  'semverCompare x ranges': {
    tpl: '{{ semverCompare "1.2.x" "1.2.9" }} {{ semverCompare "1.2.x" "1.3.0" }} {{ semverCompare ">1.x" "2.0.0" }} {{ semverCompare "<1.x" "1.5.0" }} {{ semverCompare "<=1.x" "1.99.0" }} {{ semverCompare "*" "0.0.1" }} {{ semverCompare "x" "5.5.5" }}',
    out: 'true false true false true true true',
  },
  'semverCompare empty': {
    tpl: '{{ semverCompare "" "1.0.0" }}',
    err: 'TemplateExec',
    msg: 'improper constraint',
    go: 'template: t:1:3: executing "t" at <semverCompare "" "1.0.0">: error calling semverCompare: improper constraint: ',
  },
  'semverCompare spaces and commas': {
    tpl: '{{ semverCompare ">= 1.2,<1.5" "1.4.0" }} {{ semverCompare ">=1.2 <1.5 || >=2" "2.1.0" }} {{ semverCompare "  ^1.2  " "1.3.0" }}',
    out: 'true true true',
  },
  'semver big segments': { tpl: '{{ semver "18446744073709551615.0.0" }}', out: '18446744073709551615.0.0' },
  'semver segment overflow': {
    tpl: '{{ semver "18446744073709551616.0.0" }}',
    err: 'TemplateExec',
    msg: 'error parsing version segment: ',
    go: 'template: t:1:3: executing "t" at <semver "18446744073709551616.0.0">: error calling semver: error parsing version segment: strconv.ParseUint: parsing "18446744073709551616": value out of range',
  },
  'semver metadata compare': {
    tpl: '{{ (semver "1.0.0+a").Equal (semver "1.0.0+b") }} {{ (semver "1.0.0-1").LessThan (semver "1.0.0-a") }}',
    out: 'true true',
  },
  'dig deep': {
    tpl: '{{ dig "a" "b" "c" "d" "none" (dict "a" (dict "b" (dict "c" (dict "d" "deep")))) }}',
    out: 'deep',
  },
  'dig non-string key': {
    tpl: '{{ dig "a" 1 "x" (dict) }}',
    err: 'TemplateExec',
    msg: 'interface conversion: interface {} is int, not string',
    go: 'template: t:1:3: executing "t" at <dig "a" 1 "x" (dict)>: error calling dig: interface conversion: interface {} is int, not string',
  },
  'merge list keep': {
    tpl: '{{ merge (dict "l" (list 1)) (dict "l" (list 2 3)) }} {{ mergeOverwrite (dict "l" (list 1)) (dict "l" (list)) }} {{ merge (dict "m" (dict)) (dict "m" (dict "x" 1)) }} {{ merge (dict "a" nil) (dict "a" 1) }} {{ mergeOverwrite (dict "a" 1) (dict "a" nil) }}',
    out: 'map[l:[1]] map[l:[]] map[m:map[x:1]] map[a:1] map[a:<nil>]',
  },
  'merge type clash': {
    tpl: '{{ merge (dict "a" "s") (dict "a" (dict "x" 1)) }} {{ mergeOverwrite (dict "a" "s") (dict "a" (dict "x" 1)) }}',
    out: 'map[a:s] map[a:map[x:1]]',
  },
  'chunk uneven': {
    tpl: '{{ chunk 3 (list 1 2 3 4 5 6 7) }} {{ chunk 1 (list "a") }} {{ chunk 10 (list 1 2 3) }}',
    out: '[[1 2 3] [4 5 6] [7]] [[a]] [[1 2 3]]',
  },
  'pick omit none': { tpl: '{{ pick (dict "a" 1) }} {{ omit (dict "a" 1) }}', out: 'map[] map[a:1]' },
  'hexdec more': {
    tpl: '{{ hexdec "" }}|{{ hexdec "4A4b" }}|{{ hexdec "4" }}|{{ hexdec "g1" }}|{{ hexdec "1g" }}',
    out: "|JK|encoding/hex: odd length hex string|encoding/hex: invalid byte: U+0067 'g'|encoding/hex: invalid byte: U+0067 'g'",
  },
  'hexdec odd bytes': {
    tpl: '{{ hexdec "\u0001" }}|{{ hexdec "é" }}|{{ hexdec "0­" }}',
    out: "encoding/hex: invalid byte: U+0001|encoding/hex: invalid byte: U+00C3 'Ã'|encoding/hex: invalid byte: U+00C2 'Â'",
  },
  'paths more': {
    tpl: '{{ clean "" }} {{ clean "a//b/../../.." }} {{ dir "/" }} {{ dir "a/b/" }} {{ base "a/b/" }} {{ ext "a.b/c" }} {{ ext ".bashrc" }}',
    out: '. .. / a/b b  .bashrc',
  },
  'derivePassword unicode': {
    tpl: '{{ derivePassword 3 "medium" "pässwörd" "üser" "exämple.com" }}',
    out: 'Juy3+Nab',
  },
  'htpasswd unicode sha': {
    tpl: '{{ htpasswd "u" "pässwörd" "sha" }}',
    out: 'u:{SHA}9Rfd8dMqES/xrVXGbRsSyzjn6Pc=',
  },
};

runGoldenCases('Sprig functions, golden from Go: edge cases', cases);
