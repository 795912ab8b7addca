//! Scheduling policy: a round-robin run queue with time slices weighted by nice.
//!
//! The queue holds task handles only; switching stacks is the kernel's job.

use alloc::collections::VecDeque;

/// Timer ticks a nice-0 task runs before it is preempted.
pub const BASE_SLICE_TICKS: u32 = 4;

/// Upper bound for a slice, so a nice -20 task cannot starve the rest forever.
pub const MAX_SLICE_TICKS: u32 = 64;

/// Linux's load weights for nice -20..=19 (`sched_prio_to_weight`): each step
/// is about 1.25x, and nice 0 weighs 1024.
const NICE_WEIGHTS: [u32; 40] = [
    88761, 71755, 56483, 46273, 36291, 29154, 23254, 18705, 14949, 11916, 9548, 7620, 6100, 4904,
    3906, 3121, 2501, 1991, 1586, 1277, 1024, 820, 655, 526, 423, 335, 272, 215, 172, 137, 110, 87,
    70, 56, 45, 36, 29, 23, 18, 15,
];

pub const NICE_MIN: i32 = -20;
pub const NICE_MAX: i32 = 19;

/// The load weight of a nice value (clamped to -20..=19).
pub fn nice_weight(nice: i32) -> u32 {
    NICE_WEIGHTS[(nice.clamp(NICE_MIN, NICE_MAX) - NICE_MIN) as usize]
}

/// The time slice in ticks for a nice value: proportional to its weight.
pub fn slice_ticks(nice: i32) -> u32 {
    let ticks = BASE_SLICE_TICKS as u64 * nice_weight(nice) as u64 / nice_weight(0) as u64;
    (ticks as u32).clamp(1, MAX_SLICE_TICKS)
}

/// Runnable tasks in round-robin order.
#[derive(Debug)]
pub struct RunQueue<T> {
    queue: VecDeque<T>,
}

impl<T: PartialEq> Default for RunQueue<T> {
    fn default() -> Self {
        Self::new()
    }
}

impl<T: PartialEq> RunQueue<T> {
    pub const fn new() -> RunQueue<T> {
        RunQueue {
            queue: VecDeque::new(),
        }
    }

    /// Appends a task that became runnable; a task already queued stays put.
    pub fn push(&mut self, task: T) {
        if !self.queue.contains(&task) {
            self.queue.push_back(task);
        }
    }

    /// The next task to run.
    pub fn pop(&mut self) -> Option<T> {
        self.queue.pop_front()
    }

    /// Drops a task that exited or blocked while queued.
    pub fn remove(&mut self, task: &T) {
        self.queue.retain(|queued| queued != task);
    }

    pub fn len(&self) -> usize {
        self.queue.len()
    }

    pub fn is_empty(&self) -> bool {
        self.queue.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nicer_tasks_get_shorter_slices() {
        assert!(slice_ticks(-10) > slice_ticks(0));
        assert!(slice_ticks(0) > slice_ticks(10));
        assert_eq!(slice_ticks(19), 1);
        assert_eq!(slice_ticks(0), BASE_SLICE_TICKS);
        assert_eq!(slice_ticks(-20), MAX_SLICE_TICKS);
    }

    #[test]
    fn run_queue_is_round_robin() {
        let mut queue = RunQueue::new();
        queue.push(1);
        queue.push(2);
        queue.push(1);
        assert_eq!(queue.pop(), Some(1));
        queue.push(1);
        assert_eq!(queue.pop(), Some(2));
        assert_eq!(queue.pop(), Some(1));
        assert_eq!(queue.pop(), None);
    }
}
