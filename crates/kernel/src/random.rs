//! Kernel randomness: the seed gathered at boot, and random bytes for
//! getrandom and AT_RANDOM from the same generator as /dev/urandom.

use x86_64::instructions::random::RdRand;

/// 32 bytes of seed from RDRAND, mixed with the TSC so a CPU without
/// RDRAND still gets a seed that differs between boots.
pub fn boot_seed() -> [u8; 32] {
    let mut seed = [0u8; 32];
    let rdrand = RdRand::new();
    for (i, chunk) in seed.chunks_mut(8).enumerate() {
        let hardware = rdrand.and_then(|r| r.get_u64()).unwrap_or(0);
        let tsc = platform::time::read_tsc().rotate_left(i as u32 * 13);
        chunk.copy_from_slice(&(hardware ^ tsc).to_le_bytes());
    }
    if rdrand.is_none() {
        log::warn!("random: no RDRAND; seeding from the TSC only");
    }
    seed
}

/// Fills `buf` from the kernel's ChaCha20 generator (/dev/urandom's).
pub fn fill(buf: &mut [u8]) {
    if let Some(urandom) = crate::fs::devfs().device(devfs::numbers::URANDOM) {
        let _ = urandom.read_at(0, buf);
    }
}
