//! The corpus `builtins.rs` runs: jq 1.6's builtins on inputs of every
//! kind, and where ssetap means to differ from Debian's jq.

/// (program, inputs). Each input is one event's data; a program's outputs
/// on it are compared as one array (an error as `"ERR"`: the messages are
/// worded differently).
pub const CORPUS: &[(&str, &[&str])] = &[
    // The formats.
    (
        "@csv",
        &[
            r#"[1,"a",null,true,false,1.5,"x\"y","c,d"]"#,
            r#"[1e100,3.0,-0,1e-5,1000000000000000,0.1]"#,
            r#"["a\tb\nc\rd\\e"]"#,
            "[]",
            "[{}]",
            "[[1]]",
            "{}",
            r#""x""#,
            "null",
        ],
    ),
    (
        "@tsv",
        &[
            r#"[1,"a",null,true,false,1.5,"x\"y","c,d"]"#,
            r#"["a\tb\nc\rd\\e","é"]"#,
            "[]",
            "[{}]",
            "[[1]]",
            r#""x""#,
        ],
    ),
    (r#"@csv "row: \(.)""#, &[r#"[1,"a"]"#]),
    (r#"@tsv "\(.a)|\(.b)""#, &[r#"{"a":["x\ty"],"b":[1,null]}"#]),
    (
        "@text, @json",
        &[r#"[1.0,"a",{"b":null}]"#, "1e2", r#""s""#],
    ),
    ("@html", &[r#""<&>'\"x""#, r#"[1,"<"]"#, "1.0"]),
    ("@uri", &[r#""a b!*()~'-_.é/?&=""#, "[1]"]),
    (
        "@sh",
        &[
            r#""a'b""#,
            r#"[1,"x",null,true]"#,
            "[[1]]",
            r#"{"a":1}"#,
            "null",
        ],
    ),
    (
        "@base64",
        &[r#""This is a message""#, "[1]", "1.0", r#""é""#],
    ),
    (
        "@base64d",
        &[
            r#""VGhpcyBpcyBhIG1lc3NhZ2U=""#,
            r#""YWJj""#,
            r#""YWJ""#,
            r#""YQ""#,
            r#""!!""#,
        ],
    ),
    (
        r#"format("csv"), format("text"), format("json")"#,
        &[r#"[1,"a"]"#],
    ),
    (r#"format("nope")"#, &["1"]),
    (
        r#"@base32, (@base32 | @base32d), format("base32")"#,
        &[r#""foobar""#, r#""""#],
    ),
    // Streams and paths.
    (
        "[tostream]",
        &[
            r#"{"a":[1,{"b":2}],"c":[]}"#,
            "[]",
            "1",
            "[[]]",
            r#"{"a":{}}"#,
        ],
    ),
    (
        "fromstream(tostream)",
        &[
            r#"{"a":[1,{"b":2}],"c":[]}"#,
            "[0,[1,{\"a\":1},{\"b\":2}]]",
            "3",
        ],
    ),
    (
        "[1|truncate_stream([[0],1],[[1,0],2],[[1,0]],[[1]])]",
        &["null"],
    ),
    ("[.[] as $d | $d | truncate_stream(tostream)]", &["[1]"]),
    (
        "fromstream(1|truncate_stream([[0],1],[[1,0],2],[[1,0]],[[1]]))",
        &["null"],
    ),
    (
        "[leaf_paths]",
        &[r#"{"a":[1,{"b":null}],"c":[],"d":false,"e":"x"}"#, "1"],
    ),
    (
        "[paths], [paths(type == \"number\")]",
        &[r#"{"a":[1,{"b":2}]}"#, "[[1]]", "1"],
    ),
    (
        r#"getpath(["a","b"])"#,
        &[r#"{"a":{"b":2}}"#, r#"{"a":1}"#, "null", "[1]"],
    ),
    (r#"[getpath(["a",0],["b"])]"#, &[r#"{"a":[1]}"#]),
    (
        r#"setpath(["a","b"]; 1)"#,
        &["null", r#"{"a":{"c":2}}"#, r#"{"a":1}"#, "[]"],
    ),
    (
        "setpath([0,\"a\"]; 1), setpath([2]; 1), setpath([-1]; 9)",
        &["null", "[5]"],
    ),
    (
        r#"setpath([]; 1), setpath([{"start":1,"end":2}]; ["x","y"])"#,
        &["[1,2,3]"],
    ),
    (
        r#"delpaths([["a","b"]]), delpaths([[1],[0]]), delpaths([])"#,
        &[r#"{"a":{"b":1,"c":2}}"#, "[1,2,3]", "null"],
    ),
    (r#"delpaths([["b","c"]])"#, &[r#"{"a":1}"#]),
    ("del(.foo)", &[r#"{"foo":42,"bar":9001,"baz":42}"#]),
    (
        "del(.[1, 2]), del(.[0], .[-1]), del(.[1:3]), del(.[])",
        &[r#"["a","b","c","d"]"#],
    ),
    (
        "del(.a, .b.c), del(.x)",
        &[r#"{"a":1,"b":{"c":2,"d":3},"e":4}"#],
    ),
    (
        "to_entries, with_entries(.value += 1)",
        &[r#"{"a":1,"b":2}"#],
    ),
    (
        "from_entries",
        &[
            r#"[{"key":"a","value":1},{"k":"b","v":2},{"name":"c","value":3},{"key":1,"value":4},{"key":null,"value":5},{"key":false}]"#,
        ],
    ),
    ("[path(..)], [path(limit(1; .a, .b))]", &[r#"{"a":[1]}"#]),
    (
        "[recurse_down], [recurse(.[]?; . != 2)], [recurse(if . < 3 then . + 1 else empty end)]",
        &["[1,[2]]", "0"],
    ),
    (
        "[.. | scalars_or_empty], [.. | scalars]",
        &[r#"[1,[],{},"a",null,[2]]"#],
    ),
    (
        "walk(if type == \"number\" then . + 1 else . end)",
        &[r#"[1,{"a":2}]"#],
    ),
    // SQL-style operators.
    (
        "INDEX(.id)",
        &[r#"[{"id":1,"x":"a"},{"id":"b","x":"b"},{"id":null},{"id":[1]}]"#],
    ),
    ("INDEX(.[]; .id)", &[r#"[{"id":1},{"id":1,"second":true}]"#]),
    (
        r#"JOIN({"1":"one","2":"two"}; .id|tostring)"#,
        &[r#"[{"id":1},{"id":3}]"#],
    ),
    (
        r#"[JOIN({"1":"one"}; .[]; .id|tostring)]"#,
        &[r#"[{"id":1},{"id":2}]"#],
    ),
    (
        r#"[JOIN({"1":"one"}; .[]; .id|tostring; add?)]"#,
        &[r#"[{"id":1}]"#],
    ),
    ("IN(1, 2), IN(.[]; 3, 4)", &["2", "[3]", "[5]"]),
    // Assignments: null becomes what the path asks, arrays grow, what an
    // update leaves empty is deleted.
    (
        ".a.b = 1, (.[3] = 4)?, (.a |= (1, 2)), (.a += (1, 2)), (.a //= 3), (.x.y |= 5)",
        &["null", r#"{"a":null}"#, r#"{"a":1,"b":2}"#],
    ),
    (
        ".[5] = 1, (.[1:3] = [\"y\"]), (.[1:3] |= [\"x\"]), (.[-1] |= . * 10), (.[] += 1), ((.[] | select(. == 2)) |= empty)",
        &["[1,2,3]"],
    ),
    (
        ".a |= empty, (.b |= tostring), del(.a), (to_entries |= .), (.. |= (numbers |= . + 1)?)",
        &[r#"{"a":1,"b":2,"c":3}"#],
    ),
    // Operators: over two streams the right side varies slowest; `/` and
    // `%` by zero fail, `%` cuts both sides to integers.
    (
        "[(1,2) + (10,20)], [(1,2) < (2,1)], [(1,2) / (1,2)], (5.5 % 2), (-5 % 3), [.[] | (1 / .)?], [.[] | (7 % .)?]",
        &["[1,0,-1]"],
    ),
    (".a /= 0", &[r#"{"a":7}"#]),
    // Strings.
    (
        r#"ltrimstr("a"), rtrimstr("a")"#,
        &[r#""aba""#, "1", "{}", "[1]", "null", r#""b""#],
    ),
    ("ltrimstr(1), rtrimstr(null)", &[r#""ab""#]),
    (
        r#"[splits("a")], [splits("a"; "gi")], [splits("a"; null)]"#,
        &[r#""xAyaz""#, r#""a""#, r#""""#, "1"],
    ),
    (
        r#"split(", "), split("a"; "gi"), split("a"; null)"#,
        &[r#""a, b,Ac""#],
    ),
    (
        r#"join(","), join(" ")"#,
        &[
            r#"["a",1,2.3,true,null,false]"#,
            "[]",
            "[null]",
            "[[1]]",
            r#"[{"a":1}]"#,
            r#"["x"]"#,
        ],
    ),
    ("ascii_downcase, ascii_upcase", &[r#""aBc-É""#, "1"]),
    ("explode, (explode | implode)", &[r#""aé😀""#]),
    (
        "utf8bytelength, length",
        &[r#""aé😀""#, "[1,2]", "null", "-5"],
    ),
    (r#"startswith("a"), endswith("b")"#, &[r#""ab""#, r#""ba""#]),
    (
        "tostring, tojson, (tojson | fromjson)",
        &[
            r#"[1.0,1e2,"x",{"a":null},1.5e300]"#,
            "1.0",
            r#""s""#,
            "null",
        ],
    ),
    ("tonumber", &[r#""12""#, r#""1.50""#, "3", r#""x""#, "[]"]),
    (
        r#"test("A"), test("a"; "i"), test(["A", "i"]), test("a"; null)"#,
        &[r#""xa""#],
    ),
    (
        r#"[match("(abc)+"; "g")], [match(["foo", "ig"])]"#,
        &[r#""abc abc foo FOO""#],
    ),
    (
        r#"capture("(?<a>[a-z]+)-(?<n>[0-9]+)"), capture(["(?<x>A)", "i"])"#,
        &[r#""xyz-123a""#],
    ),
    (r#"[scan("c")], [scan("(a+)(b+)")]"#, &[r#""abcdefabcaab""#]),
    (
        r#"sub("^(?<head>.)"; "Head=\(.head) Tail="), gsub("a"; "b"), sub("A"; "x"; "gi"), gsub("(?<x>a)"; "<\(.x)>"; "")"#,
        &[r#""abcabc""#],
    ),
    (
        r#"index(","), rindex(","), indices(", "), indices(1), indices([1,2])"#,
        &[r#""a,b, cd, efg, hijk""#, "[0,1,2,1,3,1,2]"],
    ),
    ("ascii", &["65", "97"]),
    (r#"has(1), has("a")"#, &[r#"{"a":1}"#, "[1]", "null"]),
    // Arrays and objects.
    (
        "add, any, all, flatten, flatten(1), reverse, sort, unique, min, max, length",
        &["[[1],[2,[3]]]", "[3,1,2,1]", "[]", r#"["b","a"]"#],
    ),
    (
        "[limit(3; .[])], [limit(0; .[])], [limit(-1; .[])], [limit(1; empty)]",
        &["[1,2,3,4]"],
    ),
    (
        "first, last, nth(1), first(.[]), last(.[]), nth(2; .[]), [range(2)], [range(1; 3)], [range(0; 10; 3)]",
        &["[5,6,7]"],
    ),
    ("nth(-1; .[])", &["[1]"]),
    (
        "group_by(.a), unique_by(.a), sort_by(.a), min_by(.a), max_by(.a)",
        &[r#"[{"a":2,"b":1},{"a":1},{"a":2,"b":2}]"#],
    ),
    ("combinations, [combinations(2)]", &["[[1,2],[3,4]]"]),
    ("[combinations(2)]", &["[0,1]"]),
    ("transpose", &["[[1],[2,3]]", "[]"]),
    (
        "keys, keys_unsorted, has(\"b\"), (\"b\" | in({\"b\":1})), map_values(. + 1), to_entries",
        &[r#"{"b":1,"a":2}"#],
    ),
    ("keys, has(0), has(5), (0 | in([1]))", &["[4,5]"]),
    (
        "contains(\"bar\"), contains([\"baz\"]), contains({\"a\":[1]}), inside(\"foobar\")",
        &[r#""foobar""#, r#"["foobar","baz"]"#, r#"{"a":[1,2]}"#],
    ),
    ("bsearch(1), bsearch(4), bsearch(0)", &["[1,2,3]", "[]"]),
    (
        "isempty(empty), isempty(.[]), [.[] | numbers], [.[] | strings], [.[] | booleans], [.[] | nulls], [.[] | arrays], [.[] | objects], [.[] | iterables], [.[] | scalars], [.[] | values]",
        &[r#"[1,"a",true,null,[],{}]"#],
    ),
    (
        "map(type), map(infinite > .), map(isinfinite), map(isnan), map(isnormal)",
        &[r#"[1,0,-1]"#],
    ),
    (
        "[nan, infinite, -infinite] | map(isnan, isinfinite, isfinite, isnormal)",
        &["null"],
    ),
    ("[.[] | finites], [.[] | normals]", &["[1,0,2.5]"]),
    ("splits(\"a\")", &["1"]),
    (
        "until(. > 100; . * 2), [while(. < 100; . * 2)], [limit(3; repeat(. * 2))]",
        &["1"],
    ),
    (
        "[.[] | select(. > 1)], map(. * 2), (reduce .[] as $x (0; . + $x)), [foreach .[] as $x (0; . + $x)]",
        &["[1,2,3]"],
    ),
    (
        "env | type, ($ENV | type), ($ENV.HOME | type), (env.HOME == $ENV.HOME)",
        &["null"],
    ),
    ("$__loc__, (try error(\"\\($__loc__)\") catch .)", &["null"]),
    ("builtins | length", &["null"]),
    (
        "[builtins | .[] | select(startswith(\"IN\"))] | sort",
        &["null"],
    ),
    ("input_filename", &["null"]),
    ("get_search_list, get_jq_origin, get_prog_origin", &["null"]),
    (r#""foo" | modulemeta"#, &["null"]),
    (
        "error, error(\"x\"), (try error(\"\\(.)\") catch .), (try error catch .), (try error({a: 1}) catch .a)",
        &[r#""msg""#, "null"],
    ),
    (
        "not, (. // \"alt\"), ([.[]?] | length)",
        &["null", "false", "0", r#"[1]"#],
    ),
    ("splits(\"b\"; \"g\")", &[r#""abc""#]),
    ("debug, stderr", &["[1]"]),
    // Math.
    (
        "floor, ceil, round, fabs, sqrt, trunc, rint, nearbyint, significand, logb, gamma, lgamma, tgamma, lgamma_r, frexp, modf, cbrt, exp2, exp10, expm1, log1p, log2, log10, exp, log",
        &["2.5", "-2.5", "16", "0.5"],
    ),
    (
        "sin, cos, tan, asin, acos, atan, sinh, cosh, tanh, asinh, atanh, j0, j1, y0, y1, erf, erfc",
        &["0.5"],
    ),
    ("acosh", &["2"]),
    (
        "pow(2; 10), atan2(1; 2), fmin(1; 2), fmax(1; 2), fmod(7; 3), fdim(5; 3), hypot(3; 4), copysign(1; -2), drem(10; 3), ldexp(3; 2), scalb(3; 2), scalbln(3; 2), nextafter(1; 2), nexttoward(1; 2), remainder(10; 3), jn(1; 2), yn(1; 2), fma(2; 3; 4)",
        &["null"],
    ),
    (
        "[.[] | tostring], (.[0] / .[1]), (.[0] % .[1]), -(.[0]), (.[0] * .[2])",
        &["[7,2,1.5]", "[-7,2,0.1]"],
    ),
    (
        "todate, (todate | fromdate), todateiso8601, gmtime, (gmtime | mktime), (gmtime | todate), (todate | strptime(\"%Y-%m-%dT%H:%M:%SZ\")), strftime(\"%Y %j %H\")",
        &["1425599507", "0"],
    ),
    ("fromdateiso8601, fromdate", &[r#""2015-03-05T23:51:47Z""#]),
    (
        "gmtime, localtime, strflocaltime(\"%Y-%m-%dT%H\"), (gmtime | mktime)",
        &["1425599507.9", "0"],
    ),
    // A string times a number, as jq 1.6 counts: one copy less, cut
    // toward zero; below one copy, null.
    (
        r#".[0] * .[1], .[1] * .[0], (.[0] * .[1] | length?)"#,
        &[
            r#"["ab",3]"#,
            r#"["ab",2.5]"#,
            r#"["ab",0.5]"#,
            r#"["ab",1.0000001]"#,
            r#"["ab",0]"#,
            r#"["ab",-0.5]"#,
            r#"["ab",-3]"#,
            r#"["",1000]"#,
            r#"["é",2]"#,
            r#"[{"a":{"b":1}},{"a":{"c":2}}]"#,
            r#"[{},"ab"]"#,
            r#"[[1],2]"#,
            r#"[null,2]"#,
        ],
    ),
    // fromjson to jq's nesting limit (256) and no further.
    (
        r#"("[" * .) + ("]" * .) | fromjson | [paths] | length"#,
        &["1", "255", "256", "257", "5000"],
    ),
    (
        r#"fromjson, tonumber"#,
        &[r#""[\"[[[\"]""#, r#""{\"a\":[1,{\"b\":2}]}""#, r#""12""#],
    ),
    ("now | type", &["null"]),
    ("pow10", &["2"]),
];

/// What ssetap writes where Debian's jq 1.6 is wrong or does other than
/// ssetap promises: `(program, input, ssetap's line)`.
pub const NOT_AS_DEBIAN: &[(&str, &str, &str)] = &[
    // Not in jq 1.6 (jq 1.7 has it).
    ("ascii", "65", r#"["A"]"#),
    ("ascii", "97", r#"["a"]"#),
    // Not in jq 1.6: RFC 4648, as jq 1.7 writes them.
    (
        r#"@base32, (@base32 | @base32d), format("base32")"#,
        r#""foobar""#,
        r#"["MZXW6YTBOI======","foobar","MZXW6YTBOI======"]"#,
    ),
    (
        r#"@base32, (@base32 | @base32d), format("base32")"#,
        r#""""#,
        r#"["","",""]"#,
    ),
    // glibc no longer has pow10, so Debian's jq fails.
    ("pow10", "2", "[100]"),
    // Less input/0, inputs/0 and input_line_number/0.
    ("builtins | length", "null", "[214]"),
    // Events do not come from a file (and a URL may hold a secret).
    ("input_filename", "null", "[null]"),
    // No modules: no search path, no origin.
    (
        "get_search_list, get_jq_origin, get_prog_origin",
        "null",
        "[[],null,null]",
    ),
];
