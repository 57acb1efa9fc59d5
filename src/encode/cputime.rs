//! CPU time consumed by the calling thread, and by other threads of the process (the threads
//! an encoder library starts for itself).

use std::time::Duration;

/// CPU time the current thread has used so far (user + system).
pub fn thread_cpu_time() -> Duration {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: clock_gettime writes into the timespec we own; CLOCK_THREAD_CPUTIME_ID exists on
    // every Linux. On failure the zeroed value is returned, which only under-reports timing.
    unsafe {
        libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut ts);
    }
    Duration::new(
        ts.tv_sec.max(0) as u64,
        ts.tv_nsec.clamp(0, 999_999_999) as u32,
    )
}

/// The ids of this process's threads (Linux: `/proc/self/task`), sorted; empty where that
/// cannot be read.
pub fn process_threads() -> Vec<i32> {
    let mut tids: Vec<i32> = std::fs::read_dir("/proc/self/task")
        .map(|dir| {
            dir.filter_map(|e| e.ok()?.file_name().to_str()?.parse().ok())
                .collect()
        })
        .unwrap_or_default();
    tids.sort_unstable();
    tids
}

/// CPU time thread `tid` of this process has used so far; `None` once it has exited.
pub fn thread_cpu_time_of(tid: i32) -> Option<Duration> {
    // Linux's clock id for a thread's CPU clock: the complement of the thread id shifted
    // left by 3, with CPUCLOCK_PERTHREAD (4) and CPUCLOCK_SCHED (2) set.
    let clock = ((!tid) << 3) | 6;
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: clock_gettime writes into the timespec we own; an id of a thread that no longer
    // exists makes it fail with EINVAL, nothing else.
    let ok = unsafe { libc::clock_gettime(clock, &mut ts) } == 0;
    ok.then(|| {
        Duration::new(
            ts.tv_sec.max(0) as u64,
            ts.tv_nsec.clamp(0, 999_999_999) as u32,
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn another_threads_cpu_time_is_read_by_its_id() {
        let (tx, rx) = std::sync::mpsc::channel();
        let (done_tx, done_rx) = std::sync::mpsc::channel::<()>();
        let worker = std::thread::spawn(move || {
            // SAFETY: gettid has no preconditions.
            let tid = unsafe { libc::gettid() };
            // Spin until its own clock says 100 ms of CPU, however loaded the machine is.
            let mut x = 0u64;
            while thread_cpu_time() < Duration::from_millis(100) {
                for _ in 0..10_000 {
                    x = x.wrapping_mul(6364136223846793005).wrapping_add(1);
                }
            }
            tx.send((tid, x)).unwrap();
            done_rx.recv().unwrap();
        });
        let (tid, _) = rx.recv().unwrap();
        assert!(process_threads().contains(&tid));
        let used = thread_cpu_time_of(tid).unwrap();
        assert!(used >= Duration::from_millis(100), "{used:?}");
        // This thread only waited: its clock is well short of the worker's.
        assert!(thread_cpu_time() < used, "{:?} {used:?}", thread_cpu_time());
        done_tx.send(()).unwrap();
        worker.join().unwrap();
        // `join` returns once the thread is done; the kernel lets its task go a moment later.
        let gone = (0..200).any(|_| {
            let gone = thread_cpu_time_of(tid).is_none();
            if !gone {
                std::thread::sleep(Duration::from_millis(10));
            }
            gone
        });
        assert!(gone, "thread {tid} still has a clock 2 s after it ended");
    }
}
