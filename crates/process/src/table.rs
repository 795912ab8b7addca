//! The process table: an ordered map from PID to process, plus the thread ids.
//!
//! The ordered map is what makes /proc listings cheap: `next_pid(from)` is one
//! O(log n) range query, so a listing resumed from a cookie never rescans.

use alloc::collections::BTreeMap;
use alloc::sync::Arc;
use alloc::vec::Vec;

use crate::pid::{Pid, PidAllocator};

/// Processes by thread-group id, and every thread id with its group.
pub struct ProcessTable<P> {
    processes: BTreeMap<Pid, Arc<P>>,
    threads: BTreeMap<Pid, Pid>,
    pids: PidAllocator,
    /// Processes and threads registered since boot (`/proc/stat` `processes`).
    created: u64,
}

impl<P> ProcessTable<P> {
    pub const fn new(pid_max: Pid) -> ProcessTable<P> {
        ProcessTable {
            processes: BTreeMap::new(),
            threads: BTreeMap::new(),
            pids: PidAllocator::new(pid_max),
            created: 0,
        }
    }

    /// Reserves a fresh id for a new process or thread, or `None` when the
    /// PID space is exhausted (the caller returns EAGAIN).
    pub fn allocate_id(&mut self) -> Option<Pid> {
        let threads = &self.threads;
        let id = self.pids.allocate(|pid| threads.contains_key(&pid))?;
        self.threads.insert(id, id);
        Some(id)
    }

    /// Registers `process` under the id `allocate_id` returned for it.
    pub fn insert_process(&mut self, pid: Pid, process: Arc<P>) {
        self.threads.insert(pid, pid);
        self.processes.insert(pid, process);
        self.created += 1;
    }

    /// Records `tid`, allocated with `allocate_id`, as a thread of `tgid`.
    pub fn insert_thread(&mut self, tid: Pid, tgid: Pid) {
        self.threads.insert(tid, tgid);
        self.created += 1;
    }

    /// Frees a thread id (its group stays until `remove_process`).
    pub fn remove_thread(&mut self, tid: Pid) {
        self.threads.remove(&tid);
    }

    /// Removes a reaped process and frees its id.
    pub fn remove_process(&mut self, pid: Pid) -> Option<Arc<P>> {
        self.threads.remove(&pid);
        self.processes.remove(&pid)
    }

    /// Forgets an id from `allocate_id` that was never used (a failed fork).
    pub fn release_id(&mut self, id: Pid) {
        if !self.processes.contains_key(&id) {
            self.threads.remove(&id);
        }
    }

    pub fn get(&self, pid: Pid) -> Option<&Arc<P>> {
        self.processes.get(&pid)
    }

    /// The thread group `tid` belongs to (a tgid maps to itself).
    pub fn thread_group_of(&self, tid: Pid) -> Option<Pid> {
        self.threads
            .get(&tid)
            .copied()
            .filter(|tgid| self.processes.contains_key(tgid))
    }

    /// Live thread-group ids in ascending order.
    pub fn list_pids(&self) -> Vec<Pid> {
        self.processes.keys().copied().collect()
    }

    /// The first live thread-group id at or after `from`, in O(log n).
    pub fn next_pid(&self, from: Pid) -> Option<Pid> {
        self.processes.range(from..).next().map(|(pid, _)| *pid)
    }

    /// Thread-group ids from `from` onward, in ascending order.
    pub fn pids_from(&self, from: Pid) -> impl Iterator<Item = Pid> + '_ {
        self.processes.range(from..).map(|(pid, _)| *pid)
    }

    pub fn processes(&self) -> impl Iterator<Item = &Arc<P>> + '_ {
        self.processes.values()
    }

    pub fn process_count(&self) -> usize {
        self.processes.len()
    }

    pub fn thread_count(&self) -> usize {
        self.threads.len()
    }

    /// How many processes and threads were registered since the table was
    /// made, reaped ones included.
    pub fn created(&self) -> u64 {
        self.created
    }

    pub fn last_pid(&self) -> Pid {
        self.pids.last()
    }

    pub fn pid_max(&self) -> Pid {
        self.pids.pid_max()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn table_with(pids: usize) -> ProcessTable<u32> {
        let mut table = ProcessTable::new(crate::pid::DEFAULT_PID_MAX);
        for _ in 0..pids {
            let pid = table.allocate_id().unwrap();
            table.insert_process(pid, Arc::new(pid));
        }
        table
    }

    #[test]
    fn list_pids_is_sorted() {
        let mut table = table_with(5);
        table.remove_process(3);
        assert_eq!(table.list_pids(), [1, 2, 4, 5]);
    }

    #[test]
    fn next_pid_skips_dead_ids() {
        let mut table = table_with(5);
        table.remove_process(3);
        assert_eq!(table.next_pid(3), Some(4));
        assert_eq!(table.next_pid(6), None);
    }

    #[test]
    fn thread_ids_resolve_to_their_group_but_are_not_listed() {
        let mut table = table_with(1);
        let tid = table.allocate_id().unwrap();
        table.insert_thread(tid, 1);
        assert_eq!(table.thread_group_of(tid), Some(1));
        assert_eq!(table.list_pids(), [1]);
    }

    #[test]
    fn thread_ids_are_not_reused_while_alive() {
        let mut table = table_with(1);
        let tid = table.allocate_id().unwrap();
        table.insert_thread(tid, 1);
        assert_ne!(table.allocate_id(), Some(tid));
    }

    #[test]
    fn created_counts_processes_and_threads_including_reaped_ones() {
        let mut table = table_with(3);
        let tid = table.allocate_id().unwrap();
        table.insert_thread(tid, 1);
        let unused = table.allocate_id().unwrap();
        table.release_id(unused);
        table.remove_process(2);
        assert_eq!(table.created(), 4);
    }

    #[test]
    fn released_ids_become_free() {
        let mut table: ProcessTable<u32> = ProcessTable::new(4);
        let ids: Vec<_> = core::iter::from_fn(|| table.allocate_id()).collect();
        assert_eq!(ids, [1, 2, 3]);
        table.release_id(2);
        assert_eq!(table.allocate_id(), Some(2));
    }
}
