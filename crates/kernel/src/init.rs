//! From a booted machine to the first user process.

use alloc::string::String;
use alloc::vec::Vec;

use platform::boot::MemoryKind;
use platform::BootInfo;

use crate::cmdline::Options;
use crate::fs;
use crate::task::{lifecycle, sched};

/// Where Linux looks for init when none is named (`rdinit=` and `init=`
/// come first).
const DEFAULT_INITS: &[&str] = &["/init", "/sbin/init", "/etc/init", "/bin/init", "/bin/sh"];

/// The environment Linux gives init besides `name=value` boot parameters.
const INIT_ENV: &[&str] = &["HOME=/", "TERM=linux"];

/// Sizes the reference counts of user pages (`platform::mm::page`), which
/// anything that makes a `Page` needs: init, and the in-kernel tests.
pub fn init_page_counts(boot: &BootInfo) {
    // Only RAM the frame allocator can hand out needs a reference count.
    let max_phys = boot
        .memory_map
        .iter()
        .filter(|region| {
            matches!(
                region.kind,
                MemoryKind::Usable | MemoryKind::BootloaderReclaimable
            )
        })
        .map(|region| region.end)
        .max()
        .unwrap_or(0);
    platform::mm::page::init(max_phys);
}

/// Sets up the process machinery, unpacks the initramfs, starts init and
/// becomes the idle loop.
pub fn start(boot: &BootInfo, options: &Options, initramfs: &[u8]) -> ! {
    crate::trap::init();
    crate::vdso::init();
    crate::sysinfo::set_cmdline(boot.cmdline);

    if let Err(err) = fs::init(initramfs, crate::random::boot_seed()) {
        log::error!("cannot set up the root filesystem: {err}; stopping");
        platform::power::poweroff();
    }
    crate::tty::init();
    sched::init(lifecycle::create_idle(fs::init_fs_context()));

    let mut envp: Vec<Vec<u8>> = INIT_ENV.iter().map(|v| v.as_bytes().to_vec()).collect();
    envp.extend(options.init_env.iter().map(|v| v.as_bytes().to_vec()));
    let named = options.rdinit.or(options.init);
    let candidates: Vec<&str> = match named {
        Some(path) => alloc::vec![path],
        None => DEFAULT_INITS.to_vec(),
    };
    let mut started = false;
    for path in candidates {
        let mut argv = alloc::vec![path.as_bytes().to_vec()];
        argv.extend(options.init_args.iter().map(|a| a.as_bytes().to_vec()));
        match lifecycle::spawn_init(
            fs::init_fs_context(),
            fs::init_files(),
            path,
            argv,
            envp.clone(),
        ) {
            Ok(pid) => {
                log::info!("started {path} as pid {pid}");
                started = true;
                break;
            }
            Err(err) => log::warn!("cannot run {path}: {err}"),
        }
    }
    if !started {
        let tried: String = named
            .map(String::from)
            .unwrap_or_else(|| DEFAULT_INITS.join(", "));
        log::error!("no working init found (tried {tried}); stopping");
        platform::power::poweroff();
    }
    sched::idle_loop()
}
