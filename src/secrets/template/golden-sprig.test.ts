// Golden cases for the Sprig and ESO functions (the map), recorded from Go: each `out` (or
// `go`, Go's error) is what Go 1.26's text/template with Sprig at the revision ESO 2.9 vendors
// printed for the template, run with TZ=UTC. Where Syncret's message differs on purpose (no
// input text in errors), `msg` is the part both share. docs/TEMPLATES.md lists the differences.

import { runGoldenCases } from './testing/golden-cases.js';
import type { GoldenCase } from './testing/golden-cases.js';

const cases: Record<string, GoldenCase> = {
  'dateInZone UTC with MST': {
    tpl: '{{ dateInZone "2006-01-02 15:04:05 MST" 1700000000 "UTC" }}',
    out: '2023-11-14 22:13:20 UTC',
  },
  'dateInZone New York': {
    tpl: '{{ dateInZone "Mon Jan _2 15:04:05 -0700 2006" 1700000000 "America/New_York" }}',
    out: 'Tue Nov 14 17:13:20 -0500 2023',
  },
  'dateInZone Berlin RFC3339': {
    tpl: '{{ dateInZone "2006-01-02T15:04:05Z07:00" 1700000000 "Europe/Berlin" }}',
    out: '2023-11-14T23:13:20+01:00',
  },
  'dateInZone Berlin summer MST': {
    tpl: '{{ dateInZone "15:04 MST" 1690000000 "Europe/Berlin" }}',
    out: '06:26 CEST',
  },
  'dateInZone Kolkata 12h clock': {
    tpl: '{{ dateInZone "Monday, January 2, 2006 3:04 PM -07:00" 1700000000 "Asia/Kolkata" }}',
    out: 'Wednesday, November 15, 2023 3:43 AM +05:30',
  },
  'dateInZone Tokyo MST': {
    tpl: '{{ dateInZone "2006-01-02 15:04 MST" 1700000000 "Asia/Tokyo" }}',
    out: '2023-11-15 07:13 JST',
  },
  'dateInZone Sao Paulo MST': {
    tpl: '{{ dateInZone "15:04 MST" 1700000000 "America/Sao_Paulo" }}',
    out: '19:13 -03',
  },
  'dateInZone unknown zone is UTC': {
    tpl: '{{ dateInZone "15:04 MST" 1700000000 "Mars/Olympus" }}',
    out: '22:13 UTC',
  },
  'dateInZone date_in_zone alias': { tpl: '{{ date_in_zone "2006" 1700000000 "UTC" }}', out: '2023' },
  'dateInZone fractions': {
    tpl: '{{ dateInZone "05.000|05.999|05,000000|.9" 1700000000 "UTC" }}',
    out: '20.000|20|20,000000|',
  },
  'dateInZone offsets': {
    tpl: '{{ dateInZone "Z07:00 Z0700 -07 -070000 -07:00:00 Z07" 1700000000 "Asia/Kathmandu" }}',
    out: '+05:45 +0545 +05 +054500 +05:45:00 +05',
  },
  'dateInZone Z for UTC': { tpl: '{{ dateInZone "Z07:00|-07:00" 1700000000 "UTC" }}', out: 'Z|+00:00' },
  'dateInZone day of year and padding': {
    tpl: '{{ dateInZone "002 __2 _2 2 01 1 06 03 3 04 4 pm PM Jan January Mon Monday" 1704100000 "UTC" }}',
    out: '001   1  1 1 01 1 24 09 9 06 6 am AM Jan January Mon Monday',
  },
  'dateInZone literal text': {
    tpl: '{{ dateInZone "Janet Monk _2006 2006-01-02" 1700000000 "UTC" }}',
    out: 'Janet Monk _2023 2023-11-14',
  },
  htmlDateInZone: { tpl: '{{ htmlDateInZone 1700000000 "Pacific/Auckland" }}', out: '2023-11-15' },
  'date of a toDate': {
    tpl: '{{ toDate "2006-01-02 15:04" "2024-02-29 13:45" | date "Mon 2 Jan 2006 15:04" }}',
    out: 'Thu 29 Feb 2024 13:45',
  },
  'toDate prints as time.Time': {
    tpl: '{{ toDate "2006-01-02" "2024-02-29" }}',
    out: '2024-02-29 00:00:00 +0000 UTC',
  },
  'toDate with offset keeps a fixed zone': {
    tpl: '{{ toDate "2006-01-02T15:04:05Z07:00" "2024-01-01T10:00:00+02:00" }}',
    out: '2024-01-01 10:00:00 +0200 +0200',
  },
  'toDate with Z is UTC': {
    tpl: '{{ toDate "2006-01-02T15:04:05Z07:00" "2024-01-01T10:00:00Z" }}',
    out: '2024-01-01 10:00:00 +0000 UTC',
  },
  'toDate fraction': {
    tpl: '{{ (toDate "2006-01-02 15:04:05" "2024-01-02 03:04:05.678901").Nanosecond }}',
    out: '678901000',
  },
  'toDate bad input is the zero time': {
    tpl: '{{ toDate "2006-01-02" "nope" }}',
    out: '0001-01-01 00:00:00 +0000 UTC',
  },
  'toDate month names': { tpl: '{{ toDate "January 2 2006" "march 5 2024" | htmlDate }}', out: '2024-03-05' },
  'toDate pm': {
    tpl: '{{ (toDate "3:04PM" "12:30AM").Hour }} {{ (toDate "3:04PM" "1:30PM").Hour }}',
    out: '0 13',
  },
  'toDate day of year': { tpl: '{{ toDate "2006-002" "2024-060" | htmlDate }}', out: '2024-02-29' },
  'toDate zone abbreviation UTC': {
    tpl: '{{ toDate "2006-01-02 MST" "2024-06-01 UTC" }}',
    out: '2024-06-01 00:00:00 +0000 UTC',
  },
  'toDate unknown zone abbreviation': {
    tpl: '{{ toDate "2006-01-02 15:04 MST" "2024-06-01 10:00 CEST" }}',
    out: '2024-06-01 10:00:00 +0000 CEST',
  },
  'mustToDate bad month': {
    tpl: '{{ mustToDate "2006-01-02" "2024-13-01" }}',
    err: 'TemplateExec',
    msg: 'parsing time: month out of range',
    go: 'template: t:1:3: executing "t" at <mustToDate "2006-01-02" "2024-13-01">: error calling mustToDate: parsing time "2024-13-01": month out of range',
  },
  'mustToDate extra text': {
    tpl: '{{ mustToDate "2006-01-02" "2024-01-01x" }}',
    err: 'TemplateExec',
    msg: 'parsing time: extra text',
    go: 'template: t:1:3: executing "t" at <mustToDate "2006-01-02" "2024-01-01x">: error calling mustToDate: parsing time "2024-01-01x": extra text: "x"',
  },
  'mustToDate bad day': {
    tpl: '{{ mustToDate "2006-01-02" "2023-02-29" }}',
    err: 'TemplateExec',
    msg: 'parsing time: day out of range',
    go: 'template: t:1:3: executing "t" at <mustToDate "2006-01-02" "2023-02-29">: error calling mustToDate: parsing time "2023-02-29": day out of range',
  },
  unixEpoch: { tpl: '{{ toDate "2006-01-02" "2024-06-01" | unixEpoch }}', out: '1717200000' },
  dateModify: {
    tpl: '{{ toDate "2006-01-02" "2024-01-01" | dateModify "+1h30m" | date "2006-01-02 15:04" }}',
    out: '2024-01-01 01:30',
  },
  'dateModify negative': {
    tpl: '{{ toDate "2006-01-02" "2024-01-01" | date_modify "-1.5h" | date "2006-01-02 15:04" }}',
    out: '2023-12-31 22:30',
  },
  'dateModify bad duration keeps the time': {
    tpl: '{{ toDate "2006-01-02" "2024-01-01" | dateModify "soon" | date "2006-01-02 15:04" }}',
    out: '2024-01-01 00:00',
  },
  'mustDateModify bad duration': {
    tpl: '{{ toDate "2006-01-02" "2024-01-01" | mustDateModify "5 minutes" }}',
    err: 'TemplateExec',
    msg: 'time: unknown unit',
    go: 'template: t:1:38: executing "t" at <mustDateModify "5 minutes">: error calling mustDateModify: time: unknown unit " minutes" in duration "5 minutes"',
  },
  'duration from string': {
    tpl: '{{ duration "3661" }} {{ duration "59" }} {{ duration "0" }} {{ duration "x" }} {{ duration "-90" }}',
    out: '1h1m1s 59s 0s 0s -1m30s',
  },
  'duration from int64': {
    tpl: '{{ duration (int64 95) }} {{ duration (int64 90061) }}',
    out: '1m35s 25h1m1s',
  },
  durationRound: {
    tpl: '{{ durationRound "2h10m" }} {{ durationRound "90h" }} {{ durationRound "800h" }} {{ durationRound "9000h" }} {{ durationRound "59s" }} {{ durationRound "1s" }} {{ durationRound "-3h5m" }} {{ durationRound "bad" }} {{ durationRound "1.5ms" }}',
    out: '2h 3d 1mo 1y 59s 0s 3h 0s 0s',
  },
  'time methods': {
    tpl: '{{ $t := toDate "2006-01-02 15:04:05" "2024-05-06 07:08:09" }}{{ $t.Year }} {{ $t.Month }} {{ $t.Day }} {{ $t.Hour }} {{ $t.Minute }} {{ $t.Second }} {{ $t.Weekday }} {{ $t.YearDay }} {{ $t.Unix }} {{ $t.UnixMilli }} {{ $t.IsZero }}',
    out: '2024 May 6 7 8 9 Monday 127 1714979289 1714979289000 false',
  },
  'time Format method': {
    tpl: '{{ (toDate "2006-01-02" "2024-01-01").Format "Jan 2, 2006 at 3:04pm (MST)" }}',
    out: 'Jan 1, 2024 at 12:00am (UTC)',
  },
  'time AddDate normalises': {
    tpl: '{{ ((toDate "2006-01-02" "2024-01-31").AddDate 0 1 0).Format "2006-01-02" }}',
    out: '2024-03-02',
  },
  'time Add and Sub': {
    tpl: '{{ $a := toDate "2006-01-02" "2024-01-01" }}{{ $b := $a.Add 5400000000000 }}{{ $b.Sub $a }} {{ ($a.Sub $b) }} {{ $b.After $a }} {{ $b.Before $a }} {{ $a.Equal $a }}',
    out: '1h30m0s -1h30m0s true false true',
  },
  'time UTC and In': {
    tpl: '{{ (toDate "2006-01-02T15:04:05Z07:00" "2024-01-01T10:00:00+02:00").UTC }}',
    out: '2024-01-01 08:00:00 +0000 UTC',
  },
  'time Truncate and Round': {
    tpl: '{{ $t := toDate "2006-01-02 15:04:05" "2024-05-06 07:38:09" }}{{ ($t.Truncate 3600000000000).Format "15:04" }} {{ ($t.Round 3600000000000).Format "15:04" }}',
    out: '07:00 08:00',
  },
  'duration methods': {
    tpl: '{{ $d := (toDate "2006" "2025").Sub (toDate "2006" "2024") }}{{ $d }} {{ $d.Hours }} {{ $d.Minutes }} {{ $d.Seconds }} {{ $d.Milliseconds }}',
    out: '8784h0m0s 8784 527040 3.16224e+07 31622400000',
  },
  'duration string forms': {
    tpl: '{{ $t := toDate "2006" "2024" }}{{ ($t.Add 1500).Sub $t }} {{ ($t.Add 1500000).Sub $t }} {{ ($t.Add 1500000000).Sub $t }} {{ ($t.Add 90061000000001).Sub $t }}',
    out: '1.5µs 1.5ms 1.5s 25h1m1.000000001s',
  },
  'toJson of a time': {
    tpl: '{{ toDate "2006-01-02" "2024-01-01" | toJson }}',
    out: '"2024-01-01T00:00:00Z"',
  },
  'typeOf kindOf a time': {
    tpl: '{{ toDate "2006" "2024" | typeOf }} {{ toDate "2006" "2024" | kindOf }} {{ now | typeOf }}',
    out: 'time.Time struct time.Time',
  },
  'printf of a time and a month': {
    tpl: '{{ $t := toDate "2006-01-02" "2024-03-01" }}{{ printf "%s|%v|%d" $t.Month $t.Month $t.Month }}',
    out: 'March|March|3',
  },
  'date with a float is now': {
    tpl: '{{ if eq (date "2006" 1.5) (date "2006" now) }}now{{ end }}',
    out: 'now',
  },
  'date_modify alias and ago of int': {
    tpl: '{{ $x := ago 0 }}{{ if gt (len $x) 3 }}long{{ end }}',
    out: 'long',
  },
  'semverCompare 0 ^1.2.0 1.2.3': { tpl: '{{ semverCompare "^1.2.0" "1.2.3" }}', out: 'true' },
  'semverCompare 1 ~1.2.0 1.3.0': { tpl: '{{ semverCompare "~1.2.0" "1.3.0" }}', out: 'false' },
  'semverCompare 2 >=1.0, <2.0 1.5.0': { tpl: '{{ semverCompare ">=1.0, <2.0" "1.5.0" }}', out: 'true' },
  'semverCompare 3 1.2 - 1.4 1.3.9': { tpl: '{{ semverCompare "1.2 - 1.4" "1.3.9" }}', out: 'true' },
  'semverCompare 4 1.2 - 1.4 1.5.0': { tpl: '{{ semverCompare "1.2 - 1.4" "1.5.0" }}', out: 'false' },
  'semverCompare 5 !=1.2.3 1.2.3': { tpl: '{{ semverCompare "!=1.2.3" "1.2.3" }}', out: 'false' },
  'semverCompare 6 1.x 1.9.0': { tpl: '{{ semverCompare "1.x" "1.9.0" }}', out: 'true' },
  'semverCompare 7 >1.2 1.2.5': { tpl: '{{ semverCompare ">1.2" "1.2.5" }}', out: 'false' },
  'semverCompare 8 >1.2 1.3.0': { tpl: '{{ semverCompare ">1.2" "1.3.0" }}', out: 'true' },
  'semverCompare 9 ^0.2.3 0.2.9': { tpl: '{{ semverCompare "^0.2.3" "0.2.9" }}', out: 'true' },
  'semverCompare 10 ^0.2.3 0.3.0': { tpl: '{{ semverCompare "^0.2.3" "0.3.0" }}', out: 'false' },
  'semverCompare 11 ^0.0.3 0.0.4': { tpl: '{{ semverCompare "^0.0.3" "0.0.4" }}', out: 'false' },
  'semverCompare 12 * 1.0.0-beta': { tpl: '{{ semverCompare "*" "1.0.0-beta" }}', out: 'false' },
  'semverCompare 13 >=1.0.0-0 1.0.0-beta': {
    tpl: '{{ semverCompare ">=1.0.0-0" "1.0.0-beta" }}',
    out: 'true',
  },
  'semverCompare 14 =1.2.3 v1.2.3': { tpl: '{{ semverCompare "=1.2.3" "v1.2.3" }}', out: 'true' },
  'semverCompare 15 1.2.3 || 2.x 2.5.0': { tpl: '{{ semverCompare "1.2.3 || 2.x" "2.5.0" }}', out: 'true' },
  'semverCompare 16 <1.0.0 0.9.9-rc1': { tpl: '{{ semverCompare "<1.0.0" "0.9.9-rc1" }}', out: 'false' },
  'semverCompare 17 ~1 1.9.9': { tpl: '{{ semverCompare "~1" "1.9.9" }}', out: 'true' },
  'semverCompare 18 <=1.2 1.2.9': { tpl: '{{ semverCompare "<=1.2" "1.2.9" }}', out: 'true' },
  'semverCompare 19 <=1.2 1.3.0': { tpl: '{{ semverCompare "<=1.2" "1.3.0" }}', out: 'false' },
  'semverCompare 20 1.2 1.2.7': { tpl: '{{ semverCompare "1.2" "1.2.7" }}', out: 'true' },
  'semverCompare 21 >= 1.2 < 3 2.0.0': { tpl: '{{ semverCompare ">= 1.2 < 3" "2.0.0" }}', out: 'true' },
  'semverCompare 22 ~> 2.1 2.1.4': { tpl: '{{ semverCompare "~> 2.1" "2.1.4" }}', out: 'true' },
  'semverCompare 23 => 1.0 1.0.0': { tpl: '{{ semverCompare "=> 1.0" "1.0.0" }}', out: 'true' },
  'semverCompare 24 ^1.x 1.4.0': { tpl: '{{ semverCompare "^1.x" "1.4.0" }}', out: 'true' },
  'semverCompare 25 !=1.2.x 1.2.5': { tpl: '{{ semverCompare "!=1.2.x" "1.2.5" }}', out: 'false' },
  'semverCompare 26 !=1.x 2.0.0': { tpl: '{{ semverCompare "!=1.x" "2.0.0" }}', out: 'true' },
  'semver fields': {
    tpl: '{{ $v := semver "v1.2.3-beta.1+build.5" }}{{ $v.Major }} {{ $v.Minor }} {{ $v.Patch }} {{ $v.Prerelease }} {{ $v.Metadata }} {{ $v.Original }} {{ $v }}',
    out: '1 2 3 beta.1 build.5 v1.2.3-beta.1+build.5 1.2.3-beta.1+build.5',
  },
  'semver coerces': { tpl: '{{ semver "1.2" }} {{ semver "v3" }}', out: '1.2.0 3.0.0' },
  'semver compare methods': {
    tpl: '{{ $a := semver "1.2.3" }}{{ $b := semver "1.10.0" }}{{ $a.Compare $b }} {{ $a.LessThan $b }} {{ $b.GreaterThan $a }} {{ $a.Equal (semver "1.2.3+x") }}',
    out: '-1 true true true',
  },
  'semver prerelease ordering': {
    tpl: '{{ (semver "1.0.0-alpha.10").LessThan (semver "1.0.0-alpha.9") }} {{ (semver "1.0.0-alpha").LessThan (semver "1.0.0-alpha.1") }} {{ (semver "1.0.0-rc.1").LessThan (semver "1.0.0") }}',
    out: 'false true true',
  },
  'semver increments': {
    tpl: '{{ (semver "v1.2.3-rc.1").IncPatch }} {{ (semver "1.2.3").IncMinor }} {{ (semver "1.2.3").IncMajor }} {{ (semver "v1.2.3").IncMajor | typeOf }}',
    out: '1.2.3 1.3.0 2.0.0 semver.Version',
  },
  'semver type and json': {
    tpl: '{{ semver "1.2.3" | typeOf }} {{ semver "1.2.3" | kindOf }} {{ semver "1.2.3" | toJson }}',
    out: '*semver.Version ptr "1.2.3"',
  },
  'semver invalid': {
    tpl: '{{ semver "x.y" }}',
    err: 'TemplateExec',
    msg: 'invalid semantic version',
    go: 'template: t:1:3: executing "t" at <semver "x.y">: error calling semver: invalid semantic version',
  },
  'semver leading zero prerelease': {
    tpl: '{{ semver "1.2.3-01" }}',
    err: 'TemplateExec',
    msg: 'version segment starts with 0',
    go: 'template: t:1:3: executing "t" at <semver "1.2.3-01">: error calling semver: version segment starts with 0',
  },
  'semverCompare bad constraint': {
    tpl: '{{ semverCompare "nope" "1.0.0" }}',
    err: 'TemplateExec',
    msg: 'improper constraint',
    go: 'template: t:1:3: executing "t" at <semverCompare "nope" "1.0.0">: error calling semverCompare: improper constraint: nope',
  },
  'semverCompare bad version': {
    tpl: '{{ semverCompare ">1" "one" }}',
    err: 'TemplateExec',
    msg: 'invalid semantic version',
    go: 'template: t:1:3: executing "t" at <semverCompare ">1" "one">: error calling semverCompare: invalid semantic version',
  },
  'dig found': { tpl: '{{ dig "a" "b" "def" (dict "a" (dict "b" "found")) }}', out: 'found' },
  'dig missing': { tpl: '{{ dig "a" "x" "def" (dict "a" (dict "b" 1)) }}', out: 'def' },
  'dig missing top': { tpl: '{{ dig "z" "x" "def" (dict "a" 1) }}', out: 'def' },
  'dig through a non-map': {
    tpl: '{{ dig "a" "b" "def" (dict "a" "str") }}',
    err: 'TemplateExec',
    msg: 'interface conversion: interface {} is string, not map[string]interface {}',
    go: 'template: t:1:3: executing "t" at <dig "a" "b" "def" (dict "a" "str")>: error calling dig: interface conversion: interface {} is string, not map[string]interface {}',
  },
  'dig too few args': {
    tpl: '{{ dig "a" (dict) }}',
    err: 'TemplateExec',
    msg: 'dig needs at least three arguments',
    go: 'template: t:1:3: executing "t" at <dig "a" (dict)>: error calling dig: dig needs at least three arguments',
  },
  'dig into json': {
    tpl: '{{ dig "user" "name" "?" (fromJson .j) }}',
    data: { j: '{"user":{"name":"bob"}}' },
    out: 'bob',
  },
  'deepCopy is a copy': {
    tpl: '{{ $d := dict "a" (list 1 2) "m" (dict "x" 1) }}{{ $c := deepCopy $d }}{{ $_ := set $c.m "y" 2 }}{{ $d }} {{ $c }}',
    out: 'map[a:[1 2] m:map[x:1]] map[a:[1 2] m:map[x:1 y:2]]',
  },
  'mustDeepCopy nil': {
    tpl: '{{ mustDeepCopy nil }}',
    err: 'TemplateExec',
    msg: 'reflect: call of reflect.Value.Type on zero Value',
    go: 'template: t:1:3: executing "t" at <mustDeepCopy nil>: error calling mustDeepCopy: reflect: call of reflect.Value.Type on zero Value',
  },
  'merge keeps non-empty': {
    tpl: '{{ merge (dict "a" "" "b" 0 "c" "keep" "e" false "f" (list)) (dict "a" "x" "b" 5 "c" "no" "d" "new" "e" true "f" (list 1)) }}',
    out: 'map[a:x b:5 c:keep d:new e:true f:[1]]',
  },
  'merge nested': {
    tpl: '{{ merge (dict "n" (dict "x" 1)) (dict "n" (dict "x" 2 "y" 3)) | toJson }}',
    out: '{"n":{"x":1,"y":3}}',
  },
  mergeOverwrite: {
    tpl: '{{ mergeOverwrite (dict "a" "1" "k" true "n" (dict "x" 1 "y" 2)) (dict "a" "2" "k" false "n" (dict "y" 3)) | toJson }}',
    out: '{"a":"2","k":false,"n":{"x":1,"y":3}}',
  },
  'mergeOverwrite empty string overwrites': {
    tpl: '{{ mergeOverwrite (dict "a" "1") (dict "a" "") | toJson }}',
    out: '{"a":""}',
  },
  'mustMerge and mustMergeOverwrite': {
    tpl: '{{ mustMerge (dict "a" 1) (dict "b" 2) | toJson }} {{ mustMergeOverwrite (dict "a" 1) (dict "a" 2) | toJson }}',
    out: '{"a":1,"b":2} {"a":2}',
  },
  'pick and omit': {
    tpl: '{{ pick (dict "a" 1 "b" 2 "c" 3) "a" "c" "z" }} {{ omit (dict "a" 1 "b" 2 "c" 3) "a" "z" }}',
    out: 'map[a:1 c:3] map[b:2 c:3]',
  },
  chunk: {
    tpl: '{{ chunk 2 (list 1 2 3 4 5) }} {{ chunk 3 (list) }} {{ mustChunk 5 (list 1 2) }}',
    out: '[[1 2] [3 4] [5]] [] [[1 2]]',
  },
  'chunk by zero': {
    tpl: '{{ chunk 0 (list 1) }}',
    err: 'TemplateExec',
    msg: 'runtime error: makeslice: len out of range',
    go: 'template: t:1:3: executing "t" at <chunk 0 (list 1)>: error calling chunk: runtime error: makeslice: len out of range',
  },
  'sprig slice': {
    tpl: '{{ slice (list 1 2 3 4) 1 3 }} {{ slice (list 1 2 3) 1 }} {{ slice (list 1 2 3) }} {{ mustSlice (list 1 2 3) 0 "2" }}',
    out: '[2 3] [2 3] [1 2 3] [1 2]',
  },
  'sprig slice of empty list': { tpl: '{{ slice (list) }}', out: '<no value>' },
  'sprig slice of a string fails': {
    tpl: '{{ slice "abc" 1 }}',
    err: 'TemplateExec',
    msg: 'list should be type of slice or array but string',
    go: 'template: t:1:3: executing "t" at <slice "abc" 1>: error calling slice: list should be type of slice or array but string',
  },
  'sprig slice out of range': {
    tpl: '{{ slice (list 1 2) 1 5 }}',
    err: 'TemplateExec',
    msg: 'reflect.Value.Slice: slice index out of bounds',
    go: 'template: t:1:3: executing "t" at <slice (list 1 2) 1 5>: error calling slice: reflect.Value.Slice: slice index out of bounds',
  },
  'tuple all any': {
    tpl: '{{ tuple 1 "a" }} {{ all 1 "a" true }} {{ all 1 "" }} {{ any 0 "" nil }} {{ any 0 "x" }} {{ all }} {{ any }}',
    out: '[1 a] true false false true true false',
  },
  'must list twins': {
    tpl: '{{ mustFirst (list 1 2) }} {{ mustLast (list 1 2) }} {{ mustRest (list 1 2 3) }} {{ mustInitial (list 1 2 3) }} {{ mustReverse (list 1 2) }} {{ mustUniq (list 1 1 2) }} {{ mustWithout (list 1 2 3) 2 }} {{ mustHas 2 (list 1 2) }} {{ mustCompact (list 1 "" 2) }} {{ mustAppend (list 1) 2 }} {{ mustPush (list 1) 2 }} {{ mustPrepend (list 1) 0 }}',
    out: '1 2 [2 3] [1 2] [2 1] [1 2] [1 3] true [1 2] [1 2] [1 2] [0 1]',
  },
  'mustFirst of a string': {
    tpl: '{{ mustFirst "abc" }}',
    err: 'TemplateExec',
    msg: 'Cannot find first on type string',
    go: 'template: t:1:3: executing "t" at <mustFirst "abc">: error calling mustFirst: Cannot find first on type string',
  },
  'mustRegex twins': {
    tpl: '{{ mustRegexFind "[0-9]+" "ab12cd34" }} {{ mustRegexFindAll "[0-9]" "a1b2c3" -1 }} {{ mustRegexReplaceAll "a(x*)b" "-ab-axxb-" "${1}W" }} {{ mustRegexReplaceAllLiteral "a" "banana" "$1" }} {{ mustRegexSplit "," "a,b,c" 2 }} {{ mustRegexMatch "^a" "abc" }}',
    out: '12 [1 2 3] -W-xxW- b$1n$1n$1 [a b,c] true',
  },
  'mustRegexFind bad pattern': {
    tpl: '{{ mustRegexFind "(" "x" }}',
    err: 'TemplateExec',
    msg: 'error parsing regexp:',
    go: 'template: t:1:3: executing "t" at <mustRegexFind "(" "x">: error calling mustRegexFind: error parsing regexp: missing closing ): `(`',
  },
  typeIsLike: {
    tpl: '{{ typeIsLike "semver.Version" (semver "1.0.0") }} {{ typeIsLike "string" "x" }} {{ typeIsLike "int" "x" }}',
    out: 'true true false',
  },
  'biggest trimall': { tpl: '{{ biggest 1 7 3 }} {{ trimall "$" "$5.00$" }}', out: '7 5.00' },
  abbrev: {
    tpl: '{{ abbrev 5 "hello world" }} {{ abbrev 20 "hello world" }} {{ abbrev 3 "hello world" }} {{ abbrev 4 "hello" }}',
    out: 'he... hello world hello world h...',
  },
  abbrevboth: {
    tpl: '{{ abbrevboth 5 10 "1234 5678 9123" }} {{ abbrevboth 0 4 "abcdefg" }} {{ abbrevboth 1 5 "abcdefghij" }} {{ abbrevboth 10 7 "abcdefghijklmno" }}',
    out: '...5678... a... abcdefghij ...k...',
  },
  initials: {
    tpl: '{{ initials "First Try" }} {{ initials "  a  b  c " }} {{ initials "" }}',
    out: 'FT abc ',
  },
  swapcase: {
    tpl: '{{ swapcase "This Is A.Test" }} {{ swapcase "hello wORLD" }}',
    out: 'tHIS iS a.tEST HELLO World',
  },
  snakecase: {
    tpl: '{{ snakecase "FirstName" }} {{ snakecase "HTTPServer" }} {{ snakecase "NoHTTPS" }} {{ snakecase "GO_PATH" }} {{ snakecase "GO PATH" }} {{ snakecase "GO-PATH" }} {{ snakecase "http2xx" }} {{ snakecase "HTTP20xOK" }} {{ snakecase "Duration2m3s" }} {{ snakecase "Bld4Floor3rd" }} {{ snakecase "a.b" }} {{ snakecase "ABC" }} {{ snakecase "already_snake" }} {{ snakecase "x-Y z" }}',
    out: 'first_name http_server no_https go_path go_path go_path http_2xx http_20x_ok duration_2m3s bld4_floor_3rd a.b abc already_snake x_y_z',
  },
  kebabcase: {
    tpl: '{{ kebabcase "FirstName" }} {{ kebabcase "HTTPServer" }} {{ kebabcase "my_var name" }}',
    out: 'first-name http-server my-var-name',
  },
  camelcase: {
    tpl: '{{ camelcase "http_server" }} {{ camelcase "_my_field" }} {{ camelcase "some-text here" }} {{ camelcase "alreadyCamel" }} {{ camelcase "a__b" }} {{ camelcase "x_" }}',
    out: 'HttpServer _MyField SomeTextHere AlreadyCamel A_B X_',
  },
  wrap: {
    tpl: '{{ wrap 5 "Hello World" }}|{{ wrap 3 "abcdefgh ij" }}|{{ wrap 80 "short" }}',
    out: 'Hello\nWorld|abcdefgh\nij|short',
  },
  wrapWith: {
    tpl: '{{ wrapWith 5 "\\t" "Hello World" }}|{{ wrapWith 3 "\\n" "abcdefgh" }}',
    out: 'Hello\tWorld|abc\ndef\ngh',
  },
  plural: {
    tpl: '{{ plural "one" "many" 1 }} {{ plural "one" "many" 2 }} {{ plural "one" "many" 0 }}',
    out: 'one many many',
  },
  hexdec: {
    tpl: '{{ hexdec "68656c6c6f" }}|{{ hexdec "zz" }}|{{ hexdec "abc" }}',
    out: "hello|encoding/hex: invalid byte: U+007A 'z'|encoding/hex: odd length hex string",
  },
  hello: { tpl: '{{ hello }}', out: 'Hello!' },
  paths: {
    tpl: '{{ base "/a/b.txt" }} {{ dir "/a/b.txt" }} {{ clean "a/../b/./c//" }} {{ ext "x/y.tar.gz" }} {{ isAbs "/x" }} {{ isAbs "x" }} {{ base "" }} {{ base "/" }} {{ dir "x" }} {{ clean "/../a" }} {{ clean "../../a/.." }}',
    out: 'b.txt /a b/c .gz true false . / . /a ../..',
  },
  'os paths': {
    tpl: '{{ osBase "/a/b.txt" }} {{ osDir "/a/b" }} {{ osClean "//a//b/" }} {{ osExt "a.b.c" }} {{ osIsAbs "/" }}',
    out: 'b.txt /a /a/b .c true',
  },
  'urlParse full': {
    tpl: '{{ urlParse "https://user:p%40ss@Example.com:8443/a%20b/c?x=1&y=2#fr%20ag" | toJson }}',
    out: '{"fragment":"fr ag","host":"Example.com:8443","hostname":"Example.com","opaque":"","path":"/a b/c","query":"x=1\\u0026y=2","scheme":"https","userinfo":"user:p%40ss"}',
  },
  'urlParse opaque': {
    tpl: '{{ urlParse "mailto:a@b.c" | toJson }}',
    out: '{"fragment":"","host":"","hostname":"","opaque":"a@b.c","path":"","query":"","scheme":"mailto","userinfo":""}',
  },
  'urlParse relative': {
    tpl: '{{ urlParse "/path/only?q" | toJson }}',
    out: '{"fragment":"","host":"","hostname":"","opaque":"","path":"/path/only","query":"q","scheme":"","userinfo":""}',
  },
  'urlParse ipv6': { tpl: '{{ (urlParse "http://[::1]:80/x").hostname }}', out: '::1' },
  'urlParse error': {
    tpl: '{{ urlParse "http://a b.com/" }}',
    err: 'TemplateExec',
    msg: 'unable to parse url: invalid character',
    go: 'template: t:1:3: executing "t" at <urlParse "http://a b.com/">: error calling urlParse: unable to parse url: parse "http://a b.com/": invalid character " " in host name',
  },
  urlJoin: {
    tpl: '{{ urlJoin (dict "scheme" "https" "host" "h:1" "path" "/a b" "query" "q=1" "fragment" "f g" "userinfo" "u:p@x") }}',
    out: 'https://u:p%40x@h:1/a%20b?q=1#f%20g',
  },
  'urlJoin opaque': { tpl: '{{ urlJoin (dict "scheme" "mailto" "opaque" "a@b") }}', out: 'mailto:a@b' },
  'urlJoin round trip': {
    tpl: '{{ urlParse "https://example.com/x/y?z=1" | urlJoin }}',
    out: 'https://example.com/x/y?z=1',
  },
  'urlJoin non-string': {
    tpl: '{{ urlJoin (dict "host" 1) }}',
    err: 'TemplateExec',
    msg: 'unable to parse host key, must be of type string, but int found',
    go: 'template: t:1:3: executing "t" at <urlJoin (dict "host" 1)>: error calling urlJoin: unable to parse host key, must be of type string, but int found',
  },
  'decimal math': {
    tpl: '{{ addf 1.1 2.2 }} {{ subf 5.5 2.2 }} {{ mulf 1.1 3 }} {{ divf 10 3 }} {{ add1f 1.5 }} {{ addf }} {{ addf "1.5" 2 }} {{ divf 1 8 }} {{ mulf 0.1 0.2 }}',
    out: '3.3 3.3 3.3 3.3333333333333335 2.5 0 3.5 0.125 0.02',
  },
  'divf by zero': {
    tpl: '{{ divf 1 0 }}',
    err: 'TemplateExec',
    msg: 'decimal division by 0',
    go: 'template: t:1:3: executing "t" at <divf 1 0>: error calling divf: decimal division by 0',
  },
  'maxf minf': { tpl: '{{ maxf 1 2.5 -3 }} {{ minf 1 2.5 -3 }} {{ maxf "x" }}', out: '2.5 -3 0' },
  round: {
    tpl: '{{ round 3.14159 2 }} {{ round 2.5 0 }} {{ round 2.4 0 }} {{ round 1.15 1 0.4 }} {{ round -2.5 0 }}',
    out: '3.14 3 2 1.2 -3',
  },
  seq: {
    tpl: '{{ seq 5 }}|{{ seq 5 1 }}|{{ seq 1 2 10 }}|{{ seq 0 }}|{{ seq 10 -3 1 }}|{{ seq 1 5 }}|{{ seq }}|{{ seq 1 2 3 4 }}|{{ seq 10 3 1 }}',
    out: '1 2 3 4 5|5 4 3 2 1|1 3 5 7 9|1 0|10 7 4 1|1 2 3 4 5|||',
  },
  untilStep: {
    tpl: '{{ untilStep 0 10 3 }} {{ untilStep 10 0 -4 }} {{ untilStep 0 10 0 }}',
    out: '[0 3 6 9] [10 6 2] []',
  },
  toDecimal: {
    tpl: '{{ toDecimal "0777" }} {{ toDecimal "777" }} {{ toDecimal 8 }} {{ toDecimal 10 }} {{ toDecimal "-17" }}',
    out: '511 511 0 8 -15',
  },
  'htpasswd sha': {
    tpl: '{{ htpasswd "user" "pass" "sha" }}',
    out: 'user:{SHA}nU4eI71bcnBGqeO0t9tXvY1u5oQ=',
  },
  'htpasswd bad user': { tpl: '{{ htpasswd "us:er" "pass" "sha" }}', out: 'invalid username: us:er' },
  'derivePassword long': {
    tpl: '{{ derivePassword 1 "long" "password" "user" "example.com" }}',
    out: 'ZedaFaxcZaso9*',
  },
  'derivePassword maximum pin basic': {
    tpl: '{{ derivePassword 2 "maximum" "p" "u" "s" }} {{ derivePassword 1 "pin" "p" "u" "s" }} {{ derivePassword 1 "basic" "p" "u" "s" }} {{ derivePassword 1 "short" "p" "u" "s" }} {{ derivePassword 1 "medium" "p" "u" "s" }}',
    out: 'GVrMlwPINBRhIcQLa58% 2461 tGf1NEr0 Rud1 Rud1@Nel',
  },
  'derivePassword unknown template': {
    tpl: '{{ derivePassword 1 "huge" "p" "u" "s" }}',
    out: 'cannot find password template huge',
  },
  'decryptAES empty': { tpl: '[{{ decryptAES "k" "" }}][{{ encryptAES "k" "" }}]', out: '[][]' },
  'decryptAES short input': {
    tpl: '{{ decryptAES "k" "AAAA" }}',
    err: 'TemplateExec',
    msg: 'runtime error: slice bounds out of range [:16] with capacity 3',
    go: 'template: t:1:3: executing "t" at <decryptAES "k" "AAAA">: error calling decryptAES: runtime error: slice bounds out of range [:16] with capacity 3',
  },
  'decryptAES bad base64': {
    tpl: '{{ decryptAES "k" "!!" }}',
    err: 'TemplateExec',
    msg: 'illegal base64 data at input byte 0',
    go: 'template: t:1:3: executing "t" at <decryptAES "k" "!!">: error calling decryptAES: illegal base64 data at input byte 0',
  },
  'genPrivateKey unknown': { tpl: '{{ genPrivateKey "foo" }}', out: 'Unknown type foo' },
  'randAlphaNum negative': { tpl: '[{{ randAlphaNum -1 }}][{{ randAlpha 0 }}]', out: '[][]' },
  'bcrypt too long': {
    tpl: '{{ bcrypt (repeat 73 "a") }}',
    out: 'failed to encrypt string with bcrypt: bcrypt: password length exceeds 72 bytes',
  },
  'randInt bad range': {
    tpl: '{{ randInt 5 5 }}',
    err: 'TemplateExec',
    msg: 'invalid argument to Intn',
    go: 'template: t:1:3: executing "t" at <randInt 5 5>: error calling randInt: invalid argument to Intn',
  },
};

runGoldenCases('Sprig functions, golden from Go: the map', cases);
