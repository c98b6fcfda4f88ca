//! json::simd::vectors: what the validator needs of a CPU's vector
//! instructions, as a trait that stage 1, the shape gatherer and both
//! validators (AVX2 in `simd`, AVX-512BW in `avx512`) share. A leaf.

/// The byte classes of 64-byte blocks, as bit masks (bit n for byte n).
pub(in crate::format) trait Vectors: Copy {
    type Block: Copy;
    /// Whether [`Vectors::compress`] is one instruction (else a sparse
    /// mask is cheaper copied run by run).
    const COMPRESS: bool;
    fn load(self, block: &[u8; 64]) -> Self::Block;
    /// No quote, backslash or control byte (the middle of a long string).
    fn quiet(self, v: Self::Block) -> bool;
    /// Quotes, backslashes and control bytes (below 0x20).
    fn string_bytes(self, v: Self::Block) -> (u64, u64, u64);
    /// JSON whitespace, and `{}[]:,` (and two control bytes, 0x0C and
    /// 0x1A, which are refused anyway).
    fn layout(self, v: Self::Block) -> (u64, u64);
    /// Bit n set when an odd number of bits 0..=n of `x` are set.
    fn prefix_xor(self, x: u64) -> u64;
    /// Colons, and the bytes that are `{` or `}` once 0x06 is set (among
    /// `{}[]:,` those two): what a watch follows keys and objects by
    /// (asked only by a `Watch`).
    fn marks(self, v: Self::Block) -> (u64, u64);
    /// DEL bytes (0x7F), which `jq -c` escapes (asked only by a `Watch`).
    fn del(self, v: Self::Block) -> u64;
    /// No bytes yet, for [`Vectors::or`].
    fn none(self) -> Self::Block;
    /// The bytes of `a` and `b` ORed: over the blocks seen, a byte with
    /// its top bit set leaves one in the result.
    fn or(self, a: Self::Block, b: Self::Block) -> Self::Block;
    /// Whether a byte of `v` has its top bit set.
    fn high(self, v: Self::Block) -> bool;
    /// Stores at `dst`, in order, the bytes of `v` set in `found`, those
    /// also set in `starts` as `0` (a shape's sequence, `json::simd::shape`);
    /// returns how many.
    ///
    /// # Safety
    /// `dst` is valid for writes of 64 bytes.
    unsafe fn gather(self, v: Self::Block, found: u64, starts: u64, dst: *mut u8) -> usize;
    /// Stores at `dst`, in order, the bytes of `v` set in `keep`; returns
    /// how many. It may write all 64 bytes from `dst` on.
    ///
    /// # Safety
    /// `dst` is valid for writes of 64 bytes.
    unsafe fn compress(self, v: Self::Block, keep: u64, dst: *mut u8) -> usize;
    /// Stores the 64 bytes of `v` at `dst`.
    ///
    /// # Safety
    /// `dst` is valid for writes of 64 bytes.
    unsafe fn store(self, v: Self::Block, dst: *mut u8);
}
