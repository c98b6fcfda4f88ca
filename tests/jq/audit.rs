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
];
