//! The tokio runtime of the long-running commands (`run`, `feed`, `doctor`), with an exit that
//! nothing on the blocking pool can hold up.
//!
//! Dropping a tokio runtime waits for every task on its blocking pool to return, however long
//! that takes: while a calendar render of minutes ran there, SIGTERM left the process running
//! long after "received a shutdown signal". So the runtime is shut down with a deadline
//! instead; what still runs on the blocking pool then (a render, a database query) ends with
//! the process. Nothing is lost that matters: the database commits whole transactions or none,
//! and a render is redone on the next request.

use std::future::Future;
use std::time::Duration;

/// How long tasks on the blocking pool may still run after the work is done: within systemd's
/// patience (SIGKILL after 90 s) and well within the 5 s an operator waits for a stop.
pub const BLOCKING_GRACE: Duration = Duration::from_secs(1);

/// Runs `future` to completion on a new multi-threaded runtime, then shuts the runtime down,
/// waiting at most [`BLOCKING_GRACE`] for its blocking tasks.
pub fn block_on<F: Future>(future: F) -> std::io::Result<F::Output> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    let output = runtime.block_on(future);
    runtime.shutdown_timeout(BLOCKING_GRACE);
    Ok(output)
}

#[cfg(test)]
mod tests {
    use std::sync::mpsc;
    use std::time::Instant;

    use super::*;

    /// A blocking task that runs on after the work is done does not hold up the exit.
    #[test]
    fn a_blocking_task_does_not_hold_up_the_exit() {
        let (release, released) = mpsc::channel::<()>();
        let started = Instant::now();
        let output = block_on(async {
            tokio::task::spawn_blocking(move || {
                let _ = released.recv_timeout(Duration::from_secs(60));
            });
            7
        });
        assert_eq!(output.ok(), Some(7));
        assert!(
            started.elapsed() < BLOCKING_GRACE + Duration::from_secs(2),
            "the exit waited {:?}",
            started.elapsed()
        );
        let _ = release.send(());
    }
}
