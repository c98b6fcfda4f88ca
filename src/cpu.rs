//! cpu: proof that the CPU has a vector extension, checked at run time
//! (std caches the answer). The vector loops (`format`'s JSON scanner,
//! `sse`'s data-line loop) take the proof as an argument, so an AVX2 loop
//! can only be reached once the check has passed.

/// Proof that this CPU has AVX2: only [`Avx2::detect`] makes one.
#[cfg(target_arch = "x86_64")]
#[derive(Clone, Copy)]
pub struct Avx2(());

#[cfg(target_arch = "x86_64")]
impl Avx2 {
    /// `Some` when this CPU has AVX2.
    #[inline]
    pub fn detect() -> Option<Avx2> {
        std::is_x86_feature_detected!("avx2").then_some(Avx2(()))
    }
}
