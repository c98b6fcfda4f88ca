//! alloc: the process's allocator. The system's (glibc's) until a `--jq`
//! program is compiled, mimalloc's for every allocation from then on.
//!
//! Why: jaq, the `--jq` interpreter, allocates and frees dozens of small
//! boxes for each event it runs on (its iterators, contexts and values);
//! glibc's `malloc`/`free` were a third of the instructions of a program
//! such as `select(.data.meta.domain == "x") | .data.title`, and with
//! mimalloc the run takes about a quarter less CPU. Every other mode
//! allocates next to nothing per event, and there glibc keeps the peak RSS
//! about 1.5 MiB lower (mimalloc's heaps and page map), within the 10 MiB
//! the bench holds `--json-data` to. mimalloc is built without
//! transparent huge pages (`no_thp`): those would make each of its 2 MiB
//! regions resident as a whole.
//!
//! A block is freed by the allocator that made it: the switch happens once
//! and never back, so before it every block is the system's, and after it
//! mimalloc's blocks are told by their address: first whether it is in
//! the 1 GiB arena (address space only) reserved at the switch, where
//! mimalloc puts its blocks, else by mimalloc's page map (a call that cost
//! as much as the free itself).

use libmimalloc_sys as mi;
use std::alloc::{GlobalAlloc, Layout, System};
use std::ffi::c_void;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering::Relaxed};

/// Whether new blocks come from mimalloc.
static FAST: AtomicBool = AtomicBool::new(false);
/// The arena reserved at the switch: its first byte, and one past its
/// last (0 and 0 when there is none).
static ARENA: (AtomicUsize, AtomicUsize) = (AtomicUsize::new(0), AtomicUsize::new(0));

// SAFETY: mimalloc's `mi_arena_area` (mimalloc.h), which libmimalloc-sys
// does not bind: its arena id is the crate's `mi_arena_id_t`, so that it
// follows the mimalloc version built (a pointer in v3, an int in v2).
unsafe extern "C" {
    fn mi_arena_area(arena_id: mi::mi_arena_id_t, size: *mut usize) -> *mut c_void;
}

/// From now on, new blocks come from mimalloc.
pub(crate) fn for_jq() {
    if FAST.load(Relaxed) {
        return;
    }
    let mut id = std::ptr::null_mut();
    let mut size = 0usize;
    // SAFETY: plain calls into mimalloc; it writes the arena's id and
    // size into the places given. Address space only, nothing committed;
    // no large pages, shared with every heap.
    let start = unsafe {
        match mi::mi_reserve_os_memory_ex(1 << 30, false, false, false, &mut id) {
            0 => mi_arena_area(id, &mut size),
            _ => std::ptr::null_mut(),
        }
    };
    if !start.is_null() {
        ARENA.0.store(start as usize, Relaxed);
        ARENA.1.store(start as usize + size, Relaxed);
    }
    FAST.store(true, Relaxed);
}

/// Whether mimalloc's plain `malloc` aligns a block of `layout` well
/// enough (as std's `System` decides for glibc's): every block of 16 bytes
/// or more is 16-aligned, a smaller one to its size's power of two (on
/// x86-64 mimalloc rounds its small size classes to two words,
/// `MI_ALIGN2W`; the test below holds it to that). The aligned calls cost
/// a third more.
#[inline(always)]
fn plain(layout: Layout) -> bool {
    layout.align() <= 16 && layout.align() <= layout.size()
}

/// The binary's `#[global_allocator]`.
pub struct Alloc;

/// Whether `p` is mimalloc's. Before the switch no block is.
#[inline(always)]
fn mimallocs(p: *mut u8) -> bool {
    if !FAST.load(Relaxed) {
        return false;
    }
    let at = p as usize;
    if ARENA.0.load(Relaxed) <= at && at < ARENA.1.load(Relaxed) {
        return true;
    }
    // SAFETY: mimalloc answers for any address (null when it has no heap
    // yet, or the address is not in one of its pages).
    unsafe { mi::mi_is_in_heap_region(p as *const c_void) }
}

// SAFETY: each block is made and freed (or resized) by one allocator,
// either of which meets `GlobalAlloc`'s contract: a block is mimalloc's
// exactly when `mimallocs` says so (mimalloc's page map, consulted only
// once it may hold blocks).
unsafe impl GlobalAlloc for Alloc {
    #[inline]
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        if FAST.load(Relaxed) {
            // SAFETY: mimalloc takes any size and power-of-two alignment.
            unsafe {
                match plain(layout) {
                    true => mi::mi_malloc(layout.size()).cast(),
                    false => mi::mi_malloc_aligned(layout.size(), layout.align()).cast(),
                }
            }
        } else {
            // SAFETY: the caller's layout, as `GlobalAlloc::alloc` has it.
            unsafe { System.alloc(layout) }
        }
    }

    #[inline]
    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        if FAST.load(Relaxed) {
            // SAFETY: as in `alloc`.
            unsafe {
                match plain(layout) {
                    true => mi::mi_zalloc(layout.size()).cast(),
                    false => mi::mi_zalloc_aligned(layout.size(), layout.align()).cast(),
                }
            }
        } else {
            // SAFETY: as in `alloc`.
            unsafe { System.alloc_zeroed(layout) }
        }
    }

    #[inline]
    unsafe fn dealloc(&self, p: *mut u8, layout: Layout) {
        if mimallocs(p) {
            // SAFETY: `p` is a live block of mimalloc's.
            unsafe { mi::mi_free(p.cast()) }
        } else {
            // SAFETY: `p` is a live block of the system's, of `layout`.
            unsafe { System.dealloc(p, layout) }
        }
    }

    #[inline]
    unsafe fn realloc(&self, p: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        if mimallocs(p) {
            // SAFETY: `p` is a live block of mimalloc's; the alignment is
            // the block's own.
            unsafe {
                match plain(Layout::from_size_align_unchecked(new_size, layout.align())) {
                    true => mi::mi_realloc(p.cast(), new_size).cast(),
                    false => mi::mi_realloc_aligned(p.cast(), new_size, layout.align()).cast(),
                }
            }
        } else {
            // SAFETY: `p` is a live block of the system's, of `layout`.
            unsafe { System.realloc(p, layout, new_size) }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::{Alloc, for_jq};
    use std::alloc::{GlobalAlloc, Layout};

    #[test]
    fn every_block_is_aligned_as_its_layout_asks_after_the_switch() {
        // The test binary's own allocator is the system's; this calls
        // ours directly, so both sides of the switch are exercised, odd
        // sizes under 64 bytes (mimalloc's word-stepped classes) above all.
        let mut live = Vec::new();
        let check = |at: &str, live: &mut Vec<(*mut u8, Layout)>| {
            for size in 1..=200usize {
                for align in [1usize, 2, 4, 8, 16, 32, 64] {
                    let layout = Layout::from_size_align(size, align).unwrap();
                    for _ in 0..3 {
                        // SAFETY: a non-zero size; freed below with its layout.
                        let p = unsafe { Alloc.alloc(layout) };
                        assert!(!p.is_null());
                        assert_eq!(p as usize % align, 0, "{at}: {size} bytes at {align}");
                        // SAFETY: `p` is a live block of `layout`.
                        let q = unsafe { Alloc.realloc(p, layout, size * 3) };
                        assert_eq!(q as usize % align, 0, "{at}: realloc {size} at {align}");
                        live.push((q, Layout::from_size_align(size * 3, align).unwrap()));
                    }
                }
            }
        };
        check("before", &mut live);
        let before = live.len();
        for_jq();
        check("after", &mut live);
        // Blocks made before the switch, resized after it (grown past any
        // size class, and shrunk): they stay the system's, with their
        // bytes and alignment.
        for (k, (p, layout)) in live.iter_mut().enumerate().take(before) {
            for size in [layout.size() * 5 + 4096, layout.size() / 2 + 1] {
                // SAFETY: `p` is a live block of `layout`; the writes and
                // reads are within its first `layout.size()` bytes.
                unsafe {
                    let fill = layout.size().min(size);
                    std::ptr::write_bytes(*p, k as u8, fill);
                    let q = Alloc.realloc(*p, *layout, size);
                    assert!(!q.is_null());
                    assert_eq!(q as usize % layout.align(), 0, "realloc across the switch");
                    assert!(
                        std::slice::from_raw_parts(q, fill)
                            .iter()
                            .all(|&c| c == k as u8)
                    );
                    *p = q;
                    *layout = Layout::from_size_align(size, layout.align()).unwrap();
                }
            }
        }
        for (p, layout) in live {
            // SAFETY: each block is live, of this layout; blocks made
            // before the switch go back to the system's allocator.
            unsafe { Alloc.dealloc(p, layout) };
        }
    }
}
