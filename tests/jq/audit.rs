//! More of the corpus `builtins.rs` runs: the cases an audit found where
//! ssetap and Debian's jq 1.6 disagreed, each compared with jq again.

/// (program, inputs), as `corpus::CORPUS`.
pub const AUDIT: &[(&str, &[&str])] = &[
    // range/3 with a step of 0 (or NaN) gives nothing, as jq 1.6 defines
    // it; jaq's stepped for ever. Bounds of range/1 and range/2 are numbers.
    (
        "[range(0;3;0)], [limit(3;range(0;1;0))], [range(0;3;nan)], [range(0;1;0.3)], [range(5;0;-2)], [range(-1;1;0.5)]",
        &["null"],
    ),
    ("[range(.;3)]", &[r#""a""#, "1", "null"]),
    ("[range(.)]", &[r#""a""#, "3", "-1"]),
    ("[range(0;.)]", &[r#""a""#, "2.5"]),
    ("[range(0;3;.)]", &[r#""a""#, "1", "-1", "0", "null"]),
    // last/1 of nothing is null; map_values keeps each first output.
    ("[last(empty)], [last(.[])]", &["[1,2]", "[]"]),
    ("map_values(.,.)", &["[1,2]", r#"{"a":1,"b":2}"#]),
    // (On an array, jq 1.6's `.[] |= empty` leaves every other element:
    // a documented difference.)
    ("map_values(empty)", &[r#"{"a":1,"b":2}"#]),
    // A subnormal is not normal.
    (
        "map(isnormal), [.[] | normals]",
        &["[1e-310,-1e-310,2.2250738585072014e-308,2.225073858507201e-308,1,0]"],
    ),
    // floor/ceil/round of a double is a double, written as jq writes one
    // (`1e+19`, not 20 digits); below 2^53 the same as an integer.
    (
        "map(floor), map(ceil), map(round)",
        &[
            "[1e19,-1e19,9.3e18,1e300,-1e300,1e16,9007199254740993.5,4.5e15,1e17]",
            "[2.5,-2.5,-0.5,0.4,-0.4,1.5,-1.7976931348623157e308]",
        ],
    ),
    // Integers past 64 bits are doubles, from a literal, tonumber or
    // fromjson alike.
    (
        "100000000000000000000, 12345678901234567890, (12345678901234567890 - 12345678901234567000), -9223372036854775809",
        &["null"],
    ),
    (
        "tonumber, fromjson",
        &[r#""100000000000000000000""#, r#""12345678901234567890""#],
    ),
    (
        r#"fromjson | .[0] + 1"#,
        &[r#""[12345678901234567890,{\"a\":1e20}]""#],
    ),
    // fromjson (and tonumber) takes one value: none, or a second, fails.
    (
        "fromjson",
        &[
            r#""1 2""#,
            r#""""#,
            r#""  ""#,
            r#""[1] [2]""#,
            r#""1 x""#,
            r#"" 1 ""#,
        ],
    ),
    ("tonumber", &[r#""1 2""#, r#""""#]),
    // An array has index (int)$k when it is within it: not a negative one.
    (
        "has(-1), has(0), has(1.5), has(-0.5), has(1.99), has(2), has(nan), has(infinite), has(-infinite)",
        &["[1,2]", "[1]", "[]"],
    ),
    // del and delpaths delete all of one value's keys at once, as they
    // were: a path named twice deletes one element, an index and its
    // negative twin the same one, a negative index before the start none.
    (
        "del(.[0], .[0]), del(.[1,1]), delpaths([[0],[0]]), del(.[0], .[-3]), del(.[-5]), del(.[0:2], .[1]), del(.[1:3], .[-1], .[0])",
        &["[0,1,2,3]", "[0,1,2]", "[0,1,2,3,4]", "[]"],
    ),
    (
        "del(.[0][0,2], .[1][0]), delpaths([[1,0],[1,0]]), delpaths([[0,5]]), delpaths([[1.5]]), delpaths([[-5,0]])",
        &["[[0,1,2],[3]]"],
    ),
    (
        r#"del(.a, .c), del(.a.b, .x.y), delpaths([["a"],["a","b"]]), delpaths([[]]), delpaths([])"#,
        &[r#"{"a":{"b":1},"b":2,"c":3}"#],
    ),
    (r#"delpaths([["a","b"]])"#, &[r#"{"a":1}"#, "[1]"]),
    (r#"delpaths([["x"]])"#, &["[0,1,2]", "1"]),
    // strftime as glibc's (the C locale): %c and %x its forms, what glibc
    // does not know (jiff's %Q, %q, %N, %f…) and E/O where it refuses
    // them copied as they are, E/O dropped where it takes them.
    (
        r#"strftime("%c|%x|%X|%Ec|%Ex|%EY|%Ez|%Oz|%Od|%OS|%D|%e|%k|%l|%P|%s|%C|%g|%G|%V|%U|%W|%u|%w")"#,
        &["1425599621", "0", "951782400"],
    ),
    (
        r#"strftime("%Q|%q|%N|%f|%E|%O|%J|%K|%L|%i|%v|%o|%+|%:z|%3N|%Ed|%Oa|%Ox|%Ea")"#,
        &["1425599621"],
    ),
    (
        r#"strftime("%#a %#A %#b %#B %#h %#p %#Z %^a %-d %_5e %10Y %%"), strftime("abc%"), strftime("%"), strftime("%é")"#,
        &["1425599621"],
    ),
    (r#"gmtime | strftime("%c, %x")"#, &["1425599621"]),
    // A surrogate pair escape in a string literal is its character.
    (
        r#""\ud83d\ude00", ("a\uD83D\uDE00b" | length, utf8bytelength), "\\ud83d", {"\ud83d\ude00": 1}, "\(.)\ud83d\ude00""#,
        &["1"],
    ),
];
