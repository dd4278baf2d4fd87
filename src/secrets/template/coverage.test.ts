// The function map of ESO 2.9's template engine v2, name by name, against Syncret's. The names
// are facts read from ESO's code at v2.9.0: the FuncMap literal in
// runtime/template/v2/template.go (ESO's own functions) and genericMap in
// runtime/template/v2/sprig/functions.go (its copy of Sprig, without env, expandenv and
// getHostByName), plus text/template's builtins. A name missing here fails this test.

import { describe, expect, it } from '@jest/globals';
import { DEFAULT_FUNCS } from './index.js';

const words = (s: string): string[] => s.split(/\s+/).filter(Boolean);

/** genericMap in runtime/template/v2/sprig/functions.go (ESO 2.9.0). */
const ESO_SPRIG = words(`
  abbrev abbrevboth add add1 add1f addf adler32sum ago all any append atoi b32dec b32enc b64dec
  b64enc base bcrypt biggest buildCustomCert camelcase cat ceil chunk clean coalesce compact concat
  contains date dateInZone dateModify date_in_zone date_modify decryptAES deepCopy deepEqual default
  derivePassword dict dig dir div divf duration durationRound empty encryptAES ext fail first
  float64 floor fromJson genCA genCAWithKey genPrivateKey genSelfSignedCert genSelfSignedCertWithKey
  genSignedCert genSignedCertWithKey get has hasKey hasPrefix hasSuffix hello hexdec htmlDate
  htmlDateInZone htpasswd indent initial initials int int64 isAbs join kebabcase keys kindIs kindOf
  last list lower max maxf merge mergeOverwrite min minf mod mul mulf mustAppend mustChunk
  mustCompact mustDateModify mustDeepCopy mustFirst mustFromJson mustHas mustInitial mustLast
  mustMerge mustMergeOverwrite mustPrepend mustPush mustRegexFind mustRegexFindAll mustRegexMatch
  mustRegexReplaceAll mustRegexReplaceAllLiteral mustRegexSplit mustRest mustReverse mustSlice
  mustToDate mustToJson mustToPrettyJson mustToRawJson mustUniq mustWithout must_date_modify nindent
  nospace now omit osBase osClean osDir osExt osIsAbs pick pluck plural prepend push quote randAlpha
  randAlphaNum randAscii randBytes randInt randNumeric regexFind regexFindAll regexMatch
  regexQuoteMeta regexReplaceAll regexReplaceAllLiteral regexSplit repeat replace rest reverse round
  semver semverCompare seq set sha1sum sha256sum sha512sum shuffle slice snakecase sortAlpha split
  splitList splitn squote sub subf substr swapcase ternary title toDate toDecimal toJson
  toPrettyJson toRawJson toString toStrings trim trimAll trimPrefix trimSuffix trimall trunc tuple
  typeIs typeIsLike typeOf uniq unixEpoch unset until untilStep untitle upper urlJoin urlParse
  uuidv4 values without wrap wrapWith
`);

/** tplFuncs in runtime/template/v2/template.go (ESO 2.9.0). */
const ESO_OWN = words(`
  certSANs filterCertChain filterPEM fromYaml fullPemToPkcs12 fullPemToPkcs12Pass jwkPrivateKeyPem
  jwkPublicKeyPem pemToPkcs12 pemToPkcs12Pass pemTruststoreToPKCS12 pemTruststoreToPKCS12Pass
  pkcs12cert pkcs12certPass pkcs12key pkcs12keyPass rsaDecrypt toYaml
`);

/** text/template's predefined functions, which every Go template has. */
const GO_BUILTINS = words(`
  and call eq ge gt html index js le len lt ne not or print printf println slice urlquery
`);

describe('function map coverage (ESO 2.9 engine v2)', () => {
  const eso = [...new Set([...ESO_SPRIG, ...ESO_OWN])].sort();

  it("lists ESO's map as it is: 209 Sprig names and 18 of ESO's own", () => {
    expect(ESO_SPRIG).toHaveLength(209);
    expect(ESO_OWN).toHaveLength(18);
    expect(eso).toHaveLength(227);
  });

  it("has every function of ESO's map", () => {
    const missing = eso.filter((name) => !DEFAULT_FUNCS.has(name));
    const present = eso.length - missing.length;
    process.stdout.write(`template functions: ${present}/${eso.length} of ESO 2.9's map\n`);
    expect(missing).toEqual([]);
  });

  it("has text/template's builtins", () => {
    expect(GO_BUILTINS.filter((name) => !DEFAULT_FUNCS.has(name))).toEqual([]);
  });

  it('adds nothing ESO does not have, apart from the builtins and required', () => {
    const known = new Set([...eso, ...GO_BUILTINS]);
    const extra = [...DEFAULT_FUNCS.keys()].filter((name) => !known.has(name)).sort();
    // `required` is Helm's, not Sprig's: ESO rejects it; Syncret kept it before this map was complete.
    expect(extra).toEqual(['required']);
  });
});
