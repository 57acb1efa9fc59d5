//! Deterministic heap allocations for the encoder libraries.

/// Make heap allocations start zero-filled, process-wide, so that trial encodes are
/// reproducible.
///
/// x264 (seen with Debian's libx264 0.164 through FFmpeg 5.1, presets using macroblock-tree
/// rate control, e.g. `faster` and `medium`) reads memory it allocated but never wrote: the
/// bitstream then depends on what that memory held before. In a fresh process that is zero
/// pages, so the FFmpeg CLI usually looks deterministic, but an encoder opened after others
/// were freed produces different bits run to run (the same happens to the FFmpeg CLI under
/// `MALLOC_PERTURB_`). glibc's perturb byte 255 fills every new allocation with zeros (and
/// freed ones with 0xff), which makes every encode equal to a fresh-process encode. Called
/// once, before the first encoder opens (so commands that never encode, like `score`, do not
/// pay for it); costs a memset per allocation, small next to encoding.
///
/// The memset makes every byte an allocation asks for resident, including the padding of
/// aligned allocations: x264 allocates each frame (about 3.4 MB for a 720p lookahead frame,
/// 5.5 MB for a reconstructed one) 2 MiB-aligned, which glibc serves by asking for 2 MiB
/// more and, for an allocation it maps by itself (above its mmap threshold, which grows to
/// the largest block freed), keeps the padding in the mapping. So the mmap threshold is
/// pinned at [`MMAP_THRESHOLD`]: such allocations come from the heap, whose padding goes
/// back to the free lists. That cut the peak RSS of 28 points (scripts/bench/grid.sh,
/// `--metric psnr`) from 1,938 to about 1,460 MB; the bytes the encoders see are the same
/// zeros either way.
pub fn make_allocations_deterministic() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        #[cfg(all(target_os = "linux", target_env = "gnu"))]
        // SAFETY: mallopt only changes glibc's allocator settings; perturbing is always
        // valid, and the threshold is within the range glibc accepts.
        unsafe {
            libc::mallopt(libc::M_PERTURB, 255);
            libc::mallopt(libc::M_MMAP_THRESHOLD, MMAP_THRESHOLD);
        }
    });
}

/// glibc's mmap threshold once allocations are made deterministic: the largest it takes on
/// 64-bit systems (half its 64 MiB heap size); blocks above it are still mapped one by one.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
const MMAP_THRESHOLD: libc::c_int = 32 << 20;
