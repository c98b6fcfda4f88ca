# jq 1.6's builtins that jaq's library crates (jaq-core, jaq-std,
# jaq-json) leave to jaq's command line or define differently. Loaded after
# their definitions, so these win; natives named `_ssetap_*` are in
# `funs.rs`. Each follows what Debian's jq 1.6 does (`tests/jq.rs` compares).

# jaq's natives, kept under a second name before they are redefined.
def _jaq_limit($n; f): limit($n; f);
def _jaq_ltrimstr($s): ltrimstr($s);
def _jaq_rtrimstr($s): rtrimstr($s);
def _jaq_test($re; $flags): test($re; $flags);
def _jaq_capture($re; $flags): capture($re; $flags);
def _jaq_contains($x): contains($x);
def _jaq_has($k): has($k);
def _jaq_gmtime: gmtime;
def _jaq_localtime: localtime;
def _jaq_mktime: mktime;
def _jaq_strftime($f): strftime($f);
def _jaq_strflocaltime($f): strflocaltime($f);
def _jaq_range($from; $upto; $by): range($from; $upto; $by);

# Formats of time as glibc reads them (jq 1.6 calls glibc's strftime, in
# the C locale): `strftime.rs`.
def strftime($f): _jaq_strftime($f | _ssetap_glibc_format(true));
def strflocaltime($f): _jaq_strflocaltime($f | _ssetap_glibc_format(false));

# Writing values as jq writes them (`1` for `1.0`), also inside strings.
def tojson: _ssetap_tojson;
def tostring: _ssetap_tostring;

# Formats.
def @text: _ssetap_tostring;
def @json: tojson;
def @csv: _ssetap_csv;
def @tsv: _ssetap_tsv;
def @html: tostring | escape_html;
def @sh:
  [if type == "array" then .[] end
   | if type == "string" then "'" + escape_sh + "'"
     elif type == "array" or type == "object" then
       error("\(type) (\(tojson)) can not be escaped for shell")
     else tostring end]
  | join(" ");
def @uri: tostring | _ssetap_uri;
def @base64: tostring | encode_base64;
def @base64d: tostring | _ssetap_base64d;
def @base32: tostring | _ssetap_base32;
def @base32d: tostring | _ssetap_base32d;
def format($f):
    if $f == "text" then @text elif $f == "json" then @json
  elif $f == "csv" then @csv elif $f == "tsv" then @tsv
  elif $f == "html" then @html elif $f == "uri" then @uri
  elif $f == "sh" then @sh
  elif $f == "base64" then @base64 elif $f == "base64d" then @base64d
  elif $f == "base32" then @base32 elif $f == "base32d" then @base32d
  else error("\($f) is not a valid format") end;

# Strings: jq leaves a value that is not a string alone.
def ltrimstr($s):
  if type == "string" and ($s | type) == "string" then _jaq_ltrimstr($s) end;
def rtrimstr($s):
  if type == "string" and ($s | type) == "string" then _jaq_rtrimstr($s) end;
# null is empty; numbers and booleans are written; other values fail.
def join($sep):
  reduce .[] as $x (null;
    (if . == null then "" else . + $sep end)
    + ($x | if type == "boolean" or type == "number" then tostring
            elif . == null then "" else . end))
  // "";
def ascii: [.] | implode;

# Regular expressions: flags may be null, a single argument may be
# [regex, flags], and every capture has its name (null when unnamed).
def match($re; $flags):
  matches($re; $flags // "")[]
  | .[0] + {captures: .[1:] | map({offset, length, string, name})};
def match($v):
  if ($v | type) == "array" then match($v[0]; $v[1]) else match($v; null) end;
def test($re; $flags): _jaq_test($re; $flags // "");
def test($v):
  if ($v | type) == "array" then test($v[0]; $v[1]) else test($v; null) end;
def capture($re; $flags): _jaq_capture($re; $flags // "");
def capture($v):
  if ($v | type) == "array" then capture($v[0]; $v[1]) else capture($v; null) end;

# Arrays and objects.
def _flatten($d):
  reduce .[] as $x ([];
    if ($x | type) == "array" and $d != 0 then . + ($x | _flatten($d - 1))
    else . + [$x] end);
def flatten($d):
  if $d < 0 then error("flatten depth must not be negative") else _flatten($d) end;
def flatten: _flatten(-1);
def nth($n; f):
  if $n < 0 then error("Out of bounds negative array index")
  else first(skip($n; f)) end;
def contains($x):
  if type == ($x | type) then _jaq_contains($x)
  else error("\(type) (\(tojson)) and \($x | type) (\($x | tojson)) cannot have their containment checked") end;
# An array has index `(int)$k` when it is in 0..length (jaq counted a
# negative index from the end, and failed on a fraction).
def has($k):
  if . == null then false
  elif type == "object" and ($k | type) == "string" then _jaq_has($k)
  elif type == "array" and ($k | type) == "number" then
    ($k | if isnan or isinfinite then -1 elif . < 0 then ceil else floor end) as $i
    | $i >= 0 and $i < length
  else error("Cannot check whether \(type) has a \($k | type) key") end;
def in(xs): . as $x | xs | has($x);
def inside(xs): . as $x | xs | contains($x);
def from_entries:
  reduce .[] as $e ({};
    ($e | .key // .Key // .name // .Name) as $k
    | if ($k | type) == "string" then .[$k] = ($e | if has("value") then .value else .Value end)
      else error("Cannot use \($k | type) (\($k | tojson)) as object key") end);
# Broken-down time: the seconds' fraction as jq computes it, `t - floor(t)`.
def gmtime: . as $t | _jaq_gmtime | .[5] = (.[5] | floor) + ($t - ($t | floor));
def localtime:
  . as $t | _jaq_localtime | .[5] = (.[5] | floor) + ($t - ($t | floor));
def mktime: _jaq_mktime | floor;
def with_entries(f): to_entries | map(f) | from_entries;
def todateiso8601: strftime("%Y-%m-%dT%H:%M:%SZ");
def todate: todateiso8601;

# Paths.
def setpath($p; $x): _ssetap_setpath($p; $x);
def delpaths($ps): _ssetap_delpaths($ps);
def del(f): delpaths([path(f)]);
# Assignments (the program's `=`, `|=`, `+=`… are made calls of these):
# what is not there is made (null becomes an object or an array, arrays
# grow), and what an update leaves empty is deleted after the others.
def _ssetap_assign(paths; $v): reduce path(paths) as $p (.; setpath($p; $v));
def _ssetap_modify(paths; update):
  reduce path(paths) as $p ([., []];
    . as [$x, $gone]
    | [label $out | $x | _ssetap_getpath($p) | update | ., break $out] as $new
    | if $new == [] then [$x, $gone + [$p]]
      else [($x | setpath($p; $new[0])), $gone] end)
  | . as [$x, $gone] | $x | delpaths($gone);
def leaf_paths: paths(scalars);
def recurse_down: recurse;
def scalars_or_empty:
  select(type != "array" and type != "object" or length == 0);

# Generators as jq 1.6 defines them. jaq's range/3 steps by 0 for ever
# (`$from != $upto`), where jq 1.6 gives nothing; jq's range/2 is an opcode
# that wants numbers. The native keeps the common case fast: for a step
# that is a number other than 0 (or NaN) it is jq's `while`. NaN is below
# every number to jq (`nan < 0`).
def range($from; $upto; $by):
  if ($by | type) == "number" and ($by > 0 or $by < 0) and ($by | isnan | not)
  then _jaq_range($from; $upto; $by)
  elif $by > 0 then $from | while(. < $upto; . + $by)
  elif $by < 0 or ($by | isnan) then $from | while(. > $upto; . + $by)
  else empty end;
def range($from; $upto):
  if ($from | type) == "number" and ($upto | type) == "number"
  then range($from; $upto; 1)
  else error("Range bounds must be numeric") end;
def range($upto): range(0; $upto);
# jq 1.6: the last output, null when there is none.
def last(f): reduce f as $x (null; $x);
# jq 1.6's `.[] |= f`: each value's first output (jaq's `|=` took all).
def map_values(f): _ssetap_modify(.[]; f);

# jq 1.6: limit(0; f) is f's first output, a negative limit all of them.
def limit($n; f):
  if $n > 0 then _jaq_limit($n; f) elif $n == 0 then first(f) else f end;

# Streaming: [path, leaf] events, and [path] when an array or object ends.
def tostream:
  def events($p):
    if (type == "array" or type == "object") and length > 0 then
      keys_unsorted as $ks
      | ($ks[] as $k | .[$k] | events($p + [$k])), [$p + [$ks[-1]]]
    else [$p, .] end;
  events([]);
def fromstream(f):
  { x: null, e: false } as $init
  | foreach f as $ev ($init;
      (if .e then $init end)
      | if ($ev | length) == 2
        then .e = ($ev[0] | length == 0) | setpath(["x"] + $ev[0]; $ev[1])
        else .e = ($ev[0] | length == 1) end;
      if .e then .x else empty end);
def truncate_stream(stream):
  . as $n | null | stream | select(.[0] | length > $n) | .[0] |= .[$n:];

# SQL-style operators.
def INDEX(stream; f): reduce stream as $row ({}; .[$row | f | tostring] = $row);
def INDEX(f): INDEX(.[]; f);
def JOIN($idx; f): [.[] | [., $idx[f]]];
def JOIN($idx; stream; f): stream | [., $idx[f]];
def JOIN($idx; stream; f; g): stream | [., $idx[f]] | g;
def IN(s): any(s == .; .);
def IN(src; s): any(src == s; .);

# Math as glibc names it: gamma is lgamma, nearbyint rounds half to even.
def gamma: lgamma;
def nearbyint: rint;
# C's isnormal: a subnormal (below 2^-1022) is not normal.
def isnormal:
  isnumber and ((. == 0 or isnan or isinfinite) | not)
  and (if . < 0 then -. else . end) >= 2.2250738585072014e-308;
def normals: select(isnormal);
def lgamma_r: [lgamma, (if . > 0 or (floor % 2) == 0 then 1 else -1 end)];

# The environment, as `$ENV` (set when the program is compiled).
def env: $ENV;

# There is no input file and no module: ssetap runs the program on each
# event's object, and loads no modules.
def input_filename: null;
def get_search_list: [];
def get_jq_origin: null;
def get_prog_origin: null;
def modulemeta:
  if type == "string" then error("module not found: \(.) (--jq loads no modules)")
  else error("modulemeta input module name must be a string") end;

# What a program writes on stderr: noted by the natives, written by the
# log after each read (`debug.rs`).
def debug: _ssetap_debug;
def debug(msg): (msg | _ssetap_debug | empty), .;
def stderr: _ssetap_stderr;

# Later jq's that programs written today use (jq 1.7: have_decnum,
# have_literal_numbers; jq 1.8: toarray, trimstr). Numbers here are
# doubles, and a literal's digits are not kept past them.
def toarray: if type == "array" then . else [.] end;
def trimstr($s): ltrimstr($s) | rtrimstr($s);
def have_decnum: false;
def have_literal_numbers: false;

# jq 1.6's list, less input/0, inputs/0 and input_line_number/0.
def builtins: [
  "IN/1", "IN/2", "INDEX/1", "INDEX/2", "JOIN/2", "JOIN/3", "JOIN/4",
  "acos/0", "acosh/0", "add/0", "all/0", "all/1", "all/2", "any/0", "any/1",
  "any/2", "arrays/0", "ascii_downcase/0", "ascii_upcase/0", "asin/0",
  "asinh/0", "atan/0", "atan2/2", "atanh/0", "booleans/0", "bsearch/1",
  "builtins/0", "capture/1", "capture/2", "cbrt/0", "ceil/0",
  "combinations/0", "combinations/1", "contains/1", "copysign/2", "cos/0",
  "cosh/0", "debug/0", "del/1", "delpaths/1", "drem/2", "empty/0",
  "endswith/1", "env/0", "erf/0", "erfc/0", "error/0", "error/1", "exp/0",
  "exp10/0", "exp2/0", "explode/0", "expm1/0", "fabs/0", "fdim/2",
  "finites/0", "first/0", "first/1", "flatten/0", "flatten/1", "floor/0",
  "fma/3", "fmax/2", "fmin/2", "fmod/2", "format/1", "frexp/0",
  "from_entries/0", "fromdate/0", "fromdateiso8601/0", "fromjson/0",
  "fromstream/1", "gamma/0", "get_jq_origin/0", "get_prog_origin/0",
  "get_search_list/0", "getpath/1", "gmtime/0", "group_by/1", "gsub/2",
  "gsub/3", "halt/0", "halt_error/0", "halt_error/1", "has/1", "hypot/2",
  "implode/0", "in/1", "index/1", "indices/1", "infinite/0",
  "input_filename/0", "inside/1", "isempty/1", "isfinite/0", "isinfinite/0",
  "isnan/0", "isnormal/0", "iterables/0", "j0/0", "j1/0", "jn/2", "join/1",
  "keys/0", "keys_unsorted/0", "last/0", "last/1", "ldexp/2",
  "leaf_paths/0", "length/0", "lgamma/0", "lgamma_r/0", "limit/2",
  "localtime/0", "log/0", "log10/0", "log1p/0", "log2/0", "logb/0",
  "ltrimstr/1", "map/1", "map_values/1", "match/1", "match/2", "max/0",
  "max_by/1", "min/0", "min_by/1", "mktime/0", "modf/0", "modulemeta/0",
  "nan/0", "nearbyint/0", "nextafter/2", "nexttoward/2", "normals/0",
  "not/0", "now/0", "nth/1", "nth/2", "nulls/0", "numbers/0", "objects/0",
  "path/1", "paths/0", "paths/1", "pow/2", "pow10/0", "range/1", "range/2",
  "range/3", "recurse/0", "recurse/1", "recurse/2", "recurse_down/0",
  "remainder/2", "repeat/1", "reverse/0", "rindex/1", "rint/0", "round/0",
  "rtrimstr/1", "scalars/0", "scalars_or_empty/0", "scalb/2", "scalbln/2",
  "scan/1", "select/1", "setpath/2", "significand/0", "sin/0", "sinh/0",
  "sort/0", "sort_by/1", "split/1", "split/2", "splits/1", "splits/2",
  "sqrt/0", "startswith/1", "stderr/0", "strflocaltime/1", "strftime/1",
  "strings/0", "strptime/1", "sub/2", "sub/3", "tan/0", "tanh/0", "test/1",
  "test/2", "tgamma/0", "to_entries/0", "todate/0", "todateiso8601/0",
  "tojson/0", "tonumber/0", "tostream/0", "tostring/0", "transpose/0",
  "trunc/0", "truncate_stream/1", "type/0", "unique/0", "unique_by/1",
  "until/2", "utf8bytelength/0", "values/0", "walk/1", "while/2",
  "with_entries/1", "y0/0", "y1/0", "yn/2"
];
