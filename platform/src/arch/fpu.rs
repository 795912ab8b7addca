//! x87/SSE/AVX register state of user tasks.
//!
//! The kernel itself is built without SSE, so only user state lives in these registers.
//! [`init`] turns on the FPU and, when the CPU has XSAVE, enables `CR4.OSXSAVE` with the
//! x87, SSE and AVX components in XCR0. An [`FpuState`] is then an XSAVE area in the
//! standard (non-compacted) format, sized from CPUID leaf 0xD, or a 512-byte FXSAVE area on
//! CPUs without XSAVE. Switching tasks saves and restores it eagerly (see
//! [`super::switch`]).

use alloc::vec;
use alloc::vec::Vec;

use raw_cpuid::CpuId;
use spin::Once;
use x86_64::registers::control::{Cr0, Cr0Flags, Cr4, Cr4Flags};
use x86_64::registers::xcontrol::{XCr0, XCr0Flags};

/// Size of the legacy FXSAVE region, which starts every XSAVE area (SDM vol. 1, 10.5.1).
const LEGACY_AREA_SIZE: usize = 512;
/// Size of the XSAVE header that follows the legacy region (SDM vol. 1, 13.4.2).
const XSAVE_HEADER_SIZE: usize = 64;
/// Byte offset of the x87 control word in the legacy region.
const FCW_OFFSET: usize = 0;
/// Byte offset of MXCSR in the legacy region.
const MXCSR_OFFSET: usize = 24;
/// Byte offset of MXCSR_MASK in the legacy region.
const MXCSR_MASK_OFFSET: usize = 28;
/// Byte offset of XSTATE_BV (which components the image holds) in an XSAVE area.
const XSTATE_BV_OFFSET: usize = LEGACY_AREA_SIZE;
/// Byte offset of XCOMP_BV, which must be zero for the standard format.
const XCOMP_BV_OFFSET: usize = LEGACY_AREA_SIZE + 8;
/// x87 control word after FNINIT: all exceptions masked, 64-bit precision, round to
/// nearest.
const FCW_INIT: u16 = 0x037f;
/// MXCSR at reset: all SIMD exceptions masked, round to nearest.
const MXCSR_INIT: u32 = 0x1f80;
/// MXCSR_MASK to assume when FXSAVE stores zero there (SDM vol. 1, 11.6.6).
const MXCSR_MASK_DEFAULT: u32 = 0xffbf;
/// XSAVE areas must be 64-byte aligned; FXSAVE needs 16.
const AREA_ALIGN: usize = 64;

/// What [`init`] found and enabled.
struct Config {
    /// Whether XSAVE/XRSTOR are used (else FXSAVE/FXRSTOR).
    uses_xsave: bool,
    /// The XCR0 value (components saved); zero without XSAVE.
    xcr0: u64,
    /// Bytes of one saved state.
    size: usize,
    /// MXCSR bits the CPU accepts; a restored image with others set would fault.
    mxcsr_mask: u32,
    /// The clean state of a new program.
    initial: FpuState,
}

static CONFIG: Once<Config> = Once::new();

fn config() -> &'static Config {
    CONFIG
        .get()
        .expect("fpu::init must run before FPU state is used")
}

/// One 64-byte, 64-aligned piece of a save area, so that a `Vec` of them is a correctly
/// aligned area without hand-made allocation.
#[derive(Clone, Copy)]
#[repr(C, align(64))]
struct Chunk([u8; AREA_ALIGN]);

/// A saved copy of the user-visible x87/SSE/AVX registers.
#[derive(Clone)]
pub struct FpuState {
    area: Vec<Chunk>,
}

/// A state image handed in from outside (a signal frame) that the CPU would reject.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct InvalidFpuState;

/// Enables the FPU, SSE and (when present) XSAVE with AVX on this CPU and records the
/// save-area layout. Run on each CPU before any user task; the first call also builds the
/// initial state.
pub fn init() {
    let cpuid = CpuId::new();
    let features = cpuid.get_feature_info();
    let has_xsave = features.as_ref().is_some_and(|f| f.has_xsave());
    let has_avx = features.as_ref().is_some_and(|f| f.has_avx());

    // SAFETY: clearing EM and TS and setting MP/NE makes x87/SSE instructions execute
    // natively and report errors as #MF; the kernel uses none of them itself.
    unsafe {
        Cr0::update(|cr0| {
            cr0.remove(Cr0Flags::EMULATE_COPROCESSOR | Cr0Flags::TASK_SWITCHED);
            cr0.insert(Cr0Flags::MONITOR_COPROCESSOR | Cr0Flags::NUMERIC_ERROR);
        })
    };
    // SAFETY: every x86_64 CPU has FXSAVE and SSE; these bits announce that the OS saves
    // the SSE state and handles #XM.
    unsafe { Cr4::update(|cr4| cr4.insert(Cr4Flags::OSFXSR | Cr4Flags::OSXMMEXCPT_ENABLE)) };

    let mut xcr0 = 0;
    if has_xsave {
        // SAFETY: the CPU has XSAVE, so OSXSAVE is a valid CR4 bit; it makes XGETBV/XSETBV
        // legal.
        unsafe { Cr4::update(|cr4| cr4.insert(Cr4Flags::OSXSAVE)) };
        let supported = cpuid
            .get_extended_state_info()
            .is_some_and(|info| info.xcr0_supports_avx_256());
        let mut flags = XCr0Flags::X87 | XCr0Flags::SSE;
        if has_avx && supported {
            flags |= XCr0Flags::AVX;
        }
        // SAFETY: x87 and SSE are always valid XCR0 components, AVX only when CPUID says so
        // (checked above).
        unsafe { XCr0::write(flags) };
        xcr0 = flags.bits();
    }

    CONFIG.call_once(|| build_config(has_xsave, xcr0));
    log::info!(
        "{} with xcr0 {xcr0:#x}, {} byte state",
        if has_xsave { "xsave" } else { "fxsave" },
        config().size
    );
}

fn build_config(uses_xsave: bool, xcr0: u64) -> Config {
    // With XCR0 written, CPUID.(EAX=0DH,ECX=0):EBX is the standard-format size of the
    // enabled components.
    let size = if uses_xsave {
        CpuId::new()
            .get_extended_state_info()
            .map_or(LEGACY_AREA_SIZE + XSAVE_HEADER_SIZE, |info| {
                info.xsave_area_size_enabled_features() as usize
            })
    } else {
        LEGACY_AREA_SIZE
    };

    // Learn which MXCSR bits the CPU accepts from what FXSAVE reports.
    let mut probe = FpuState::zeroed(LEGACY_AREA_SIZE);
    // SAFETY: the area is 512 bytes and 64-aligned, as FXSAVE requires.
    unsafe { core::arch::asm!("fxsave64 [{}]", in(reg) probe.as_mut_ptr(), options(nostack)) };
    let reported = probe.read_u32(MXCSR_MASK_OFFSET);
    let mxcsr_mask = if reported == 0 {
        MXCSR_MASK_DEFAULT
    } else {
        reported
    };

    // The clean state: x87 and SSE as after FNINIT and reset, AVX upper halves zero. With
    // XSTATE_BV naming x87 and SSE, XRSTOR loads them from this image; AVX is in its
    // initial configuration (zero).
    let mut initial = FpuState::zeroed(size);
    initial.write_u16(FCW_OFFSET, FCW_INIT);
    initial.write_u32(MXCSR_OFFSET, MXCSR_INIT);
    if uses_xsave {
        let bv = (XCr0Flags::X87 | XCr0Flags::SSE).bits();
        initial.bytes_mut()[XSTATE_BV_OFFSET..XSTATE_BV_OFFSET + 8]
            .copy_from_slice(&bv.to_le_bytes());
    }

    Config {
        uses_xsave,
        xcr0,
        size,
        mxcsr_mask,
        initial,
    }
}

/// Bytes of one saved state on this machine (valid after [`init`]).
pub fn state_size() -> usize {
    config().size
}

/// Whether states are XSAVE images (else 512-byte FXSAVE images).
pub fn uses_xsave() -> bool {
    config().uses_xsave
}

/// The XCR0 value: which components an XSAVE image holds (zero without XSAVE).
pub fn xcr0() -> u64 {
    config().xcr0
}

/// Loads the clean initial state into the registers (for `execve`).
pub fn reset_registers() {
    config().initial.restore();
}

impl FpuState {
    /// The clean state a new program starts with: x87 and SSE as after reset, vector
    /// registers zero.
    pub fn new() -> Self {
        config().initial.clone()
    }

    fn zeroed(size: usize) -> Self {
        FpuState {
            area: vec![Chunk([0; AREA_ALIGN]); size.div_ceil(AREA_ALIGN)],
        }
    }

    fn as_mut_ptr(&mut self) -> *mut u8 {
        self.area.as_mut_ptr().cast()
    }

    /// The saved image, in the CPU's XSAVE standard format (or FXSAVE format), as it goes
    /// into a signal frame.
    pub fn as_bytes(&self) -> &[u8] {
        // SAFETY: `Chunk` is plain bytes with no padding, so the chunks form one
        // initialized byte slice of their total length.
        unsafe {
            core::slice::from_raw_parts(self.area.as_ptr().cast(), self.area.len() * AREA_ALIGN)
        }
    }

    fn bytes_mut(&mut self) -> &mut [u8] {
        let len = self.area.len() * AREA_ALIGN;
        // SAFETY: as in `as_bytes`; the exclusive borrow of self covers the slice.
        unsafe { core::slice::from_raw_parts_mut(self.as_mut_ptr(), len) }
    }

    fn read_u32(&self, offset: usize) -> u32 {
        let mut raw = [0; 4];
        raw.copy_from_slice(&self.as_bytes()[offset..offset + 4]);
        u32::from_le_bytes(raw)
    }

    fn read_u64(&self, offset: usize) -> u64 {
        let mut raw = [0; 8];
        raw.copy_from_slice(&self.as_bytes()[offset..offset + 8]);
        u64::from_le_bytes(raw)
    }

    fn write_u16(&mut self, offset: usize, value: u16) {
        self.bytes_mut()[offset..offset + 2].copy_from_slice(&value.to_le_bytes());
    }

    fn write_u32(&mut self, offset: usize, value: u32) {
        self.bytes_mut()[offset..offset + 4].copy_from_slice(&value.to_le_bytes());
    }

    /// Replaces this state with an image from outside (a signal frame's), after checking
    /// that restoring it cannot fault: exact size, MXCSR bits the CPU supports, and for
    /// XSAVE a standard-format header naming only enabled components.
    pub fn load_from_bytes(&mut self, image: &[u8]) -> Result<(), InvalidFpuState> {
        let config = config();
        if image.len() < config.size {
            return Err(InvalidFpuState);
        }
        let mut candidate = FpuState::zeroed(config.size);
        candidate.bytes_mut()[..config.size].copy_from_slice(&image[..config.size]);

        if candidate.read_u32(MXCSR_OFFSET) & !config.mxcsr_mask != 0 {
            return Err(InvalidFpuState);
        }
        if config.uses_xsave {
            let xstate_bv = candidate.read_u64(XSTATE_BV_OFFSET);
            let xcomp_bv = candidate.read_u64(XCOMP_BV_OFFSET);
            let reserved = &candidate.as_bytes()[XCOMP_BV_OFFSET + 8..][..48];
            if xstate_bv & !config.xcr0 != 0 || xcomp_bv != 0 || reserved.iter().any(|&b| b != 0) {
                return Err(InvalidFpuState);
            }
        }
        *self = candidate;
        Ok(())
    }

    /// Stores the current register state into this area.
    pub fn save(&mut self) {
        let config = config();
        let area = self.as_mut_ptr();
        if config.uses_xsave {
            // SAFETY: the area is 64-aligned and at least `size` bytes, the XSAVE size for
            // the enabled components; the mask in EDX:EAX selects all of them.
            unsafe {
                core::arch::asm!(
                    "xsave64 [{}]",
                    in(reg) area,
                    in("eax") u32::MAX,
                    in("edx") u32::MAX,
                    options(nostack),
                )
            };
        } else {
            // SAFETY: the area is 16-aligned and at least 512 bytes.
            unsafe { core::arch::asm!("fxsave64 [{}]", in(reg) area, options(nostack)) };
        }
    }

    /// Loads this state into the registers.
    pub fn restore(&self) {
        let config = config();
        let area = self.as_bytes().as_ptr();
        if config.uses_xsave {
            // SAFETY: the image was produced by XSAVE, built by `build_config`, or checked
            // by `load_from_bytes`, so its header and MXCSR are valid and XRSTOR cannot
            // fault; it only changes user-visible FPU/vector registers.
            unsafe {
                core::arch::asm!(
                    "xrstor64 [{}]",
                    in(reg) area,
                    in("eax") u32::MAX,
                    in("edx") u32::MAX,
                    options(nostack, readonly),
                )
            };
        } else {
            // SAFETY: as above for an FXSAVE image (MXCSR checked).
            unsafe { core::arch::asm!("fxrstor64 [{}]", in(reg) area, options(nostack, readonly)) };
        }
    }
}

impl Default for FpuState {
    fn default() -> Self {
        Self::new()
    }
}
