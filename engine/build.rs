//! Rebuild when a migration is added: `sqlx::migrate!` embeds the folders but only tracks files
//! that already existed.
fn main() {
    println!("cargo:rerun-if-changed=../migrations");
}
