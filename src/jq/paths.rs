//! Paths in values as jq 1.6 follows them: `setpath` makes what is not
//! there (null becomes an object or an array as the key asks, arrays grow
//! with nulls), `getpath` reads null where a path leaves the value, and
//! `delpaths` deletes the longest and last paths first, keeping the order
//! of an object's other keys (jaq's deletion swaps the last key in).

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

/// `delpaths(paths)`: the longest and last paths first, so that deleting
/// one never moves what another names; what a path does not reach is left
/// alone.
pub(super) fn delpaths(v: Val, paths: Val) -> ValR {
    let Val::Arr(paths) = paths else {
        return Err(Error::str("Paths must be specified as an array"));
    };
    let mut paths: Vec<Val> = paths.to_vec();
    paths.sort();
    let mut v = v;
    for p in paths.iter().rev() {
        let Val::Arr(p) = p else {
            return Err(Error::str("Path must be specified as an array"));
        };
        v = delpath(v, p)?;
    }
    Ok(v)
}

fn delpath(v: Val, path: &[Val]) -> ValR {
    let Some((k, rest)) = path.split_first() else {
        return Ok(Val::Null);
    };
    match (v, k) {
        (Val::Null, _) => Ok(Val::Null),
        (Val::Obj(mut o), Val::TStr(_)) => {
            let map = std::rc::Rc::make_mut(&mut o);
            if rest.is_empty() {
                map.shift_remove(k);
            } else if let Some(old) = map.get_mut(k) {
                *old = delpath(std::mem::take(old), rest)?;
            }
            Ok(Val::Obj(o))
        }
        (Val::Arr(mut a), Val::Num(_)) => {
            let arr = std::rc::Rc::make_mut(&mut a);
            let i = index(k).unwrap_or(i64::MAX);
            let i = if i < 0 { i + arr.len() as i64 } else { i };
            if i < 0 {
                return Err(Error::str("Out of bounds negative array index"));
            }
            let i = i as usize;
            if i < arr.len() {
                if rest.is_empty() {
                    arr.remove(i);
                } else {
                    arr[i] = delpath(std::mem::take(&mut arr[i]), rest)?;
                }
            }
            Ok(Val::Arr(a))
        }
        (Val::Arr(mut a), Val::Obj(o)) => {
            let arr = std::rc::Rc::make_mut(&mut a);
            let Some((start, end)) = slice(o, arr.len()) else {
                return Err(Error::str(
                    "Start and end indices of an array slice must be numbers",
                ));
            };
            if rest.is_empty() {
                arr.drain(start..end);
                return Ok(Val::Arr(a));
            }
            let part = Val::Arr(arr[start..end].to_vec().into());
            match delpath(part, rest)? {
                Val::Arr(new) => {
                    arr.splice(start..end, new.iter().cloned());
                    Ok(Val::Arr(a))
                }
                _ => Ok(Val::Arr(a)),
            }
        }
        (v, k) => Err(Error::str(format_args!(
            "Cannot delete field at {} index of {}",
            type_name(k),
            type_name(&v)
        ))),
    }
}
