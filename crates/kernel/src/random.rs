//! Kernel randomness: the seed gathered at boot, and random bytes for
//! getrandom and AT_RANDOM from the same generator as /dev/urandom.

/// 32 bytes of seed from the CPU's random instructions (RDSEED, else RDRAND),
/// mixed with the TSC so a CPU without them still gets a seed that differs
/// between boots.
pub fn boot_seed() -> [u8; 32] {
    let mut seed = [0u8; 32];
    let mut from_hardware = 0;
    for (i, chunk) in seed.chunks_mut(8).enumerate() {
        let hardware = platform::cpu::hardware_random_u64();
        from_hardware += usize::from(hardware.is_some());
        let tsc = platform::time::read_tsc().rotate_left(i as u32 * 13);
        chunk.copy_from_slice(&(hardware.unwrap_or(0) ^ tsc).to_le_bytes());
    }
    if from_hardware < seed.len() / 8 {
        log::warn!(
            "random: the CPU gave {from_hardware} of 4 seed words; the rest come from the TSC"
        );
    }
    seed
}

/// Fills `buf` from the kernel's ChaCha20 generator (/dev/urandom's).
pub fn fill(buf: &mut [u8]) {
    if let Some(urandom) = crate::fs::devfs().device(devfs::numbers::URANDOM) {
        let _ = urandom.read_at(0, buf);
    }
}
