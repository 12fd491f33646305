//! The real `doraboard serve` as a child process, for tests of what crosses processes (the
//! environment as in production, a store several processes share).

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};

/// Kills the server when the test ends, however it ends.
pub struct Running(Child);

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Starts `command` (a `doraboard ... serve --addr 127.0.0.1:0`) and waits for the address it
/// prints on its first line; answers the running server and its base URL (no trailing slash).
pub async fn serve(mut command: Command) -> (Running, String) {
    let mut child = command
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("start doraboard serve");
    let stdout = child.stdout.take().expect("stdout");
    let server = Running(child);
    let line = tokio::task::spawn_blocking(move || {
        let mut line = String::new();
        BufReader::new(stdout).read_line(&mut line).map(|_| line)
    })
    .await
    .expect("join")
    .expect("the server prints its address");
    let base = line
        .split_whitespace()
        .find(|w| w.starts_with("http://"))
        .unwrap_or_else(|| panic!("an address in {line:?}"))
        .trim_end_matches('/')
        .to_string();
    (server, base)
}
