//! The memory devices: `null`, `zero`, `full`, and `random`/`urandom`.

use rand_chacha::rand_core::{Rng, SeedableRng};
use rand_chacha::ChaCha20Rng;
use spin::Mutex;
use vfs::{Errno, FileOps, Result};

/// Bytes of seed the random devices take.
pub const SEED_LEN: usize = 32;

/// Bytes generated per lock hold, so a huge read does not keep others out.
const RANDOM_CHUNK: usize = 4096;

/// `/dev/null`: reads end at once, writes vanish.
pub struct Null;

impl FileOps for Null {
    fn read_at(&self, _offset: u64, _buf: &mut [u8]) -> Result<usize> {
        Ok(0)
    }

    fn write_at(&self, _offset: u64, buf: &[u8]) -> Result<usize> {
        Ok(buf.len())
    }
}

/// `/dev/zero`: reads give zeros, writes vanish.
pub struct Zero;

impl FileOps for Zero {
    fn read_at(&self, _offset: u64, buf: &mut [u8]) -> Result<usize> {
        buf.fill(0);
        Ok(buf.len())
    }

    fn write_at(&self, _offset: u64, buf: &[u8]) -> Result<usize> {
        Ok(buf.len())
    }
}

/// `/dev/full`: reads give zeros, writes fail as on a full disk.
pub struct Full;

impl FileOps for Full {
    fn read_at(&self, _offset: u64, buf: &mut [u8]) -> Result<usize> {
        buf.fill(0);
        Ok(buf.len())
    }

    fn write_at(&self, _offset: u64, _buf: &[u8]) -> Result<usize> {
        Err(Errno::ENOSPC.into())
    }
}

/// `/dev/random` and `/dev/urandom`: a ChaCha20 stream. As on Linux since
/// 5.6, both behave alike once seeded; they never block.
pub struct Random {
    rng: Mutex<ChaCha20Rng>,
}

impl Random {
    pub fn new(seed: [u8; SEED_LEN]) -> Random {
        Random {
            rng: Mutex::new(ChaCha20Rng::from_seed(seed)),
        }
    }
}

impl FileOps for Random {
    fn read_at(&self, _offset: u64, buf: &mut [u8]) -> Result<usize> {
        for chunk in buf.chunks_mut(RANDOM_CHUNK) {
            self.rng.lock().fill_bytes(chunk);
        }
        Ok(buf.len())
    }

    /// Written bytes are mixed into the generator, as Linux mixes them into
    /// its pool without crediting entropy: the new key is fresh generator
    /// output folded with the data, so the output stays unpredictable
    /// whatever is written.
    fn write_at(&self, _offset: u64, buf: &[u8]) -> Result<usize> {
        let mut mix = [0u8; SEED_LEN];
        for (index, byte) in buf.iter().enumerate() {
            mix[index % SEED_LEN] ^= byte.rotate_left((index / SEED_LEN) as u32 % 8);
        }

        let mut rng = self.rng.lock();
        let mut seed = [0u8; SEED_LEN];
        rng.fill_bytes(&mut seed);
        for (seed_byte, mix_byte) in seed.iter_mut().zip(mix) {
            *seed_byte ^= mix_byte;
        }
        *rng = ChaCha20Rng::from_seed(seed);
        Ok(buf.len())
    }
}
