//! Interrupt masking and the lock that interrupt handlers may share.

use core::mem::ManuallyDrop;
use core::ops::{Deref, DerefMut};

use x86_64::instructions::interrupts;

/// Runs `f` with interrupts disabled on this CPU, restoring the previous
/// state afterwards.
pub fn without_interrupts<R>(f: impl FnOnce() -> R) -> R {
    interrupts::without_interrupts(f)
}

/// Whether interrupts are enabled on this CPU.
pub fn are_enabled() -> bool {
    interrupts::are_enabled()
}

/// Enables interrupts on this CPU.
pub fn enable() {
    interrupts::enable();
}

/// Disables interrupts on this CPU.
pub fn disable() {
    interrupts::disable();
}

/// A spin lock that keeps interrupts disabled on the holding CPU, so an
/// interrupt handler taking the same lock can never deadlock against the
/// code it interrupted.
pub struct IrqMutex<T> {
    inner: spin::Mutex<T>,
}

impl<T> IrqMutex<T> {
    pub const fn new(value: T) -> Self {
        Self {
            inner: spin::Mutex::new(value),
        }
    }

    /// Disables interrupts, then spins until the lock is free.
    pub fn lock(&self) -> IrqMutexGuard<'_, T> {
        let were_enabled = are_enabled();
        disable();
        IrqMutexGuard {
            guard: ManuallyDrop::new(self.inner.lock()),
            were_enabled,
        }
    }

    /// Takes the lock only if it is free.
    pub fn try_lock(&self) -> Option<IrqMutexGuard<'_, T>> {
        let were_enabled = are_enabled();
        disable();
        match self.inner.try_lock() {
            Some(guard) => Some(IrqMutexGuard {
                guard: ManuallyDrop::new(guard),
                were_enabled,
            }),
            None => {
                if were_enabled {
                    enable();
                }
                None
            }
        }
    }

    /// Whether some CPU holds the lock.
    pub fn is_locked(&self) -> bool {
        self.inner.is_locked()
    }
}

/// Holds an [`IrqMutex`]; unlocking restores the interrupt state of `lock`.
pub struct IrqMutexGuard<'a, T> {
    guard: ManuallyDrop<spin::MutexGuard<'a, T>>,
    were_enabled: bool,
}

impl<T> Deref for IrqMutexGuard<'_, T> {
    type Target = T;

    fn deref(&self) -> &T {
        &self.guard
    }
}

impl<T> DerefMut for IrqMutexGuard<'_, T> {
    fn deref_mut(&mut self) -> &mut T {
        &mut self.guard
    }
}

impl<T> Drop for IrqMutexGuard<'_, T> {
    fn drop(&mut self) {
        // SAFETY: the guard is dropped exactly once, here, and not used after.
        unsafe { ManuallyDrop::drop(&mut self.guard) };
        if self.were_enabled {
            enable();
        }
    }
}
