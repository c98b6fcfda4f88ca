//! Paths in values as jq 1.6 follows them: `setpath` makes what is not
//! there (null becomes an object or an array as the key asks, arrays grow
//! with nulls), `getpath` reads null where a path leaves the value, and
//! `delpaths` deletes as jq 1.6 does (all of one value's keys at once),
//! keeping the order of an object's other keys (jaq's deletion swaps the
//! last key in).

use super::funs::{Error, ValR, named, type_name};
use jaq_json::{Map, Val};

/// An array index: integral numbers (a fraction is cut off, as jq does).
fn index(k: &Val) -> Option<i64> {
    use jaq_std::ValT as _;
    let f = k.as_f64()?;
    (f.is_finite() && f.abs() < 9.0e15).then_some(f.trunc() as i64)
}

/// `{"start", "end"}` of a slice path, clamped to `len` as jq clamps.
fn slice(o: &Map, len: usize) -> Option<(usize, usize)> {
    let end_of = |name: &str, default: usize| -> Option<usize> {
        match o.get(&Val::utf8_str(name.as_bytes().to_vec())) {
            None | Some(Val::Null) => Some(default),
            Some(v) => {
                let i = index(v)?;
                let len = len as i64;
                let i = if i < 0 { (len + i).max(0) } else { i.min(len) };
                Some(i as usize)
            }
        }
    };
    let start = end_of("start", 0)?;
    let end = end_of("end", len)?.max(start);
    Some((start, end))
}

/// The longest path `setpath` follows. Each key can make a level, and the
/// builtins that walk a value (`tojson`, `contains`, `flatten`, dropping
/// it) recurse on each; a path from the stream (`setpath`, `fromstream`)
/// as long as an event could make a value deeper than the stack is.
const MAX_PATH: usize = 1024;

/// `setpath(path; x)`: null on the way becomes an object or an array as
/// the key asks, arrays grow (with nulls) to reach an index.
pub(super) fn setpath(v: Val, path: &[Val], x: Val) -> ValR {
    if path.len() > MAX_PATH {
        return Err(Error::str(format_args!(
            "Path too long for setpath ({} keys; at most {MAX_PATH})",
            path.len()
        )));
    }
    set(v, path, x)
}

fn set(v: Val, path: &[Val], x: Val) -> ValR {
    let Some((k, rest)) = path.split_first() else {
        return Ok(x);
    };
    match (v, k) {
        (Val::Null, Val::TStr(_)) => set(Val::obj(Map::default()), path, x),
        (Val::Null, Val::Num(_) | Val::Obj(_)) => set(Val::Arr(Vec::new().into()), path, x),
        (Val::Obj(mut o), Val::TStr(_)) => {
            let map = std::rc::Rc::make_mut(&mut o);
            let old = map.get_mut(k).map(std::mem::take).unwrap_or_default();
            let new = set(old, rest, x)?;
            map.insert(k.clone(), new);
            Ok(Val::Obj(o))
        }
        (Val::Arr(mut a), Val::Num(_)) => {
            let Some(i) = index(k) else {
                return Err(Error::str("Array index too large"));
            };
            let arr = std::rc::Rc::make_mut(&mut a);
            let i = if i < 0 { i + arr.len() as i64 } else { i };
            if i < 0 {
                return Err(Error::str("Out of bounds negative array index"));
            }
            let i = i as usize;
            if i >= arr.len() {
                if i > 100_000_000 {
                    return Err(Error::str("Array index too large"));
                }
                arr.resize(i + 1, Val::Null);
            }
            let old = std::mem::take(&mut arr[i]);
            arr[i] = set(old, rest, x)?;
            Ok(Val::Arr(a))
        }
        (Val::Arr(mut a), Val::Obj(o)) => {
            let arr = std::rc::Rc::make_mut(&mut a);
            let Some((start, end)) = slice(o, arr.len()) else {
                return Err(Error::str(
                    "Start and end indices of an array slice must be numbers",
                ));
            };
            let old: Vec<Val> = arr[start..end].to_vec();
            match set(Val::Arr(old.into()), rest, x)? {
                Val::Arr(new) => {
                    arr.splice(start..end, new.iter().cloned());
                    Ok(Val::Arr(a))
                }
                other => Err(Error::str(format_args!(
                    "A slice of an array can only be assigned another array, not {}",
                    named(&other)
                ))),
            }
        }
        (v, k) => Err(Error::str(format_args!(
            "Cannot index {} with {}",
            type_name(&v),
            named(k)
        ))),
    }
}

/// `getpath(path)` as jq reads it: null where the path leaves the value.
pub(super) fn getpath(v: &Val, path: &[Val]) -> ValR {
    let mut at = v.clone();
    for k in path {
        at = match (&at, k) {
            (Val::Null, _) => return Ok(Val::Null),
            (Val::Obj(o), Val::TStr(_)) => o.get(k).cloned().unwrap_or_default(),
            (Val::Arr(a), Val::Num(_)) => {
                let i = index(k).unwrap_or(i64::MAX);
                let i = if i < 0 { i + a.len() as i64 } else { i };
                usize::try_from(i)
                    .ok()
                    .and_then(|i| a.get(i).cloned())
                    .unwrap_or_default()
            }
            (Val::Arr(a), Val::Obj(o)) => match slice(o, a.len()) {
                Some((start, end)) => Val::Arr(a[start..end].to_vec().into()),
                None => {
                    return Err(Error::str(
                        "Start and end indices of an array slice must be numbers",
                    ));
                }
            },
            (v, k) => {
                return Err(Error::str(format_args!(
                    "Cannot index {} with {}",
                    type_name(v),
                    named(k)
                )));
            }
        };
    }
    Ok(at)
}

/// `delpaths(paths)` as jq 1.6 does it: the paths sorted, and those that
/// share a first key deleted together, on the value as it was: `.[0]`
/// twice deletes one element, and `.[0]` with `.[-3]` of three elements
/// the same one (deleting one at a time, each moved what the next named).
/// What a path does not reach is left alone.
pub(super) fn delpaths(v: Val, paths: Val) -> ValR {
    let Val::Arr(paths) = paths else {
        return Err(Error::str("Paths must be specified as an array"));
    };
    let mut sorted: Vec<Val> = paths.to_vec();
    sorted.sort();
    let mut keys: Vec<&[Val]> = Vec::with_capacity(sorted.len());
    for p in &sorted {
        let Val::Arr(p) = p else {
            return Err(Error::str("Path must be specified as an array"));
        };
        keys.push(p);
    }
    match keys.first() {
        None => Ok(v),
        Some([]) => Ok(Val::Null),
        Some(_) => del_sorted(v, &keys, 0),
    }
}

/// jq's `delpaths_sorted`: `paths` (sorted, each longer than `depth`)
/// grouped by their key at `depth`; a group whose first path ends there
/// deletes the key (its longer paths are inside it), else the value there
/// has the group's longer paths deleted.
fn del_sorted(mut v: Val, paths: &[&[Val]], depth: usize) -> ValR {
    let mut whole: Vec<&Val> = Vec::new();
    let mut i = 0;
    while i < paths.len() {
        let Some(key) = paths[i].get(depth) else {
            i += 1;
            continue;
        };
        let n = paths[i..]
            .iter()
            .take_while(|p| p.get(depth) == Some(key))
            .count()
            .max(1);
        let group = &paths[i..i + n];
        i += n;
        if paths[i - n].len() == depth + 1 {
            whole.push(key);
            continue;
        }
        let at = std::slice::from_ref(key);
        let sub = getpath(&v, at)?;
        if !matches!(sub, Val::Null) {
            let new = del_sorted(sub, group, depth + 1)?;
            v = set(v, at, new)?;
        }
    }
    del_keys(v, &whole)
}

/// jq's `jv_dels`: delete `keys` of `v` at once; an array's indexes and
/// slices name its elements as they were.
fn del_keys(v: Val, keys: &[&Val]) -> ValR {
    if keys.is_empty() {
        return Ok(v);
    }
    match v {
        Val::Null => Ok(Val::Null),
        Val::Obj(mut o) => {
            let map = std::rc::Rc::make_mut(&mut o);
            for &k in keys {
                if !matches!(k, Val::TStr(_)) {
                    return Err(Error::str(format_args!(
                        "Cannot delete {} field of object",
                        type_name(k)
                    )));
                }
                map.shift_remove(k);
            }
            Ok(Val::Obj(o))
        }
        Val::Arr(mut a) => {
            let len = a.len();
            let mut gone = vec![false; len];
            for &k in keys {
                match k {
                    Val::Num(_) => {
                        // A fraction is cut off, as jq's `(int)`; what is
                        // out of range (NaN too) names nothing.
                        let Some(i) = index(k) else { continue };
                        let i = if i < 0 {
                            i.saturating_add(len as i64)
                        } else {
                            i
                        };
                        if let Some(g) = usize::try_from(i).ok().and_then(|i| gone.get_mut(i)) {
                            *g = true;
                        }
                    }
                    Val::Obj(o) => {
                        let Some((start, end)) = slice(o, len) else {
                            return Err(Error::str(
                                "Start and end indices of an array slice must be numbers",
                            ));
                        };
                        gone[start..end].iter_mut().for_each(|g| *g = true);
                    }
                    _ => {
                        return Err(Error::str(format_args!(
                            "Cannot delete {} element of array",
                            type_name(k)
                        )));
                    }
                }
            }
            let arr = std::rc::Rc::make_mut(&mut a);
            let mut at = 0;
            arr.retain(|_| {
                at += 1;
                !gone[at - 1]
            });
            Ok(Val::Arr(a))
        }
        other => Err(Error::str(format_args!(
            "Cannot delete fields from {}",
            type_name(&other)
        ))),
    }
}
