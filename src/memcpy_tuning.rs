//! A glibc quirk that halves bulk throughput where it applies, worked around at start-up.
//!
//! glibc before 2.40 copies with `rep movsb` from about 2 KiB up on AMD Zen 3 and later (the
//! CPUs with FSRM), and there `rep movsb` runs 15–20× slower when the destination sits 1 to 31
//! bytes past the source within a 64-byte line (glibc bug 30994, fixed for these CPUs in
//! 2.40). tungstenite copies every outgoing payload into its write buffer behind a frame
//! header of 2 to 14 bytes, which lands in that case for about half the copies: on Debian 12
//! (glibc 2.36) on AMD EPYC a 64 KiB copy took 25 µs instead of 1.6, and `wsx serve --echo`
//! spent 40% of its time in it. glibc reads the threshold only when a program starts, from
//! `GLIBC_TUNABLES`; so the commands that move bulk data for long (`serve`, `proxy`, `bench`)
//! start once more with it out of reach, as glibc 2.40 chose for these CPUs. The restarted
//! process puts the environment back as the user had it, so that `--exec` programs see it
//! unchanged.

use crate::cli::Command;

/// Call first, while the process has one thread: restarts the process when `command` moves
/// bulk data and this machine has the quirk (returning only if that fails), or, in the
/// restarted process, restores the environment.
pub fn apply(command: Option<&Command>) {
    #[cfg(all(target_os = "linux", target_env = "gnu", target_arch = "x86_64"))]
    glibc_x86_64::apply(command);
    #[cfg(not(all(target_os = "linux", target_env = "gnu", target_arch = "x86_64")))]
    let _ = command;
}

#[cfg(all(target_os = "linux", target_env = "gnu", target_arch = "x86_64"))]
#[allow(unsafe_code)]
mod glibc_x86_64 {
    use std::ffi::CStr;
    use std::os::unix::process::CommandExt;

    use super::Command;

    /// The tunable, as added to `GLIBC_TUNABLES`.
    const TUNABLE: &str = "glibc.cpu.x86_rep_movsb_threshold=18446744073709551615";

    /// Set in the restarted process: this start is the second one.
    const RESTARTED: &str = "WSX_MEMCPY_TUNED";

    pub(super) fn apply(command: Option<&Command>) {
        if std::env::var_os(RESTARTED).is_some() {
            let user_value = std::env::var("GLIBC_TUNABLES")
                .ok()
                .and_then(|value| without_tunable(&value));
            // SAFETY: called first thing in `main`, before any other thread exists, so nothing
            // reads the environment meanwhile.
            unsafe {
                std::env::remove_var(RESTARTED);
                match user_value {
                    Some(value) => std::env::set_var("GLIBC_TUNABLES", value),
                    None => std::env::remove_var("GLIBC_TUNABLES"),
                }
            }
            return;
        }
        let moves_bulk_data = matches!(
            command,
            Some(Command::Serve(_) | Command::Proxy(_) | Command::Bench(_))
        );
        if !moves_bulk_data || !cpu_has_the_quirk() || !glibc_has_the_quirk(&glibc_version()) {
            return;
        }
        let Some(tunables) = with_tunable(std::env::var("GLIBC_TUNABLES").ok().as_deref()) else {
            return;
        };
        let Ok(program) = std::env::current_exe() else {
            return;
        };
        let mut args = std::env::args_os();
        let mut restart = std::process::Command::new(program);
        if let Some(name) = args.next() {
            restart.arg0(name);
        }
        // `exec` returns only when it failed: then this start goes on as it is.
        let _ = restart
            .args(args)
            .env("GLIBC_TUNABLES", tunables)
            .env(RESTARTED, "1")
            .exec();
    }

    /// `GLIBC_TUNABLES` for the restart, or `None` when the user's value already decides.
    fn with_tunable(current: Option<&str>) -> Option<String> {
        match current {
            Some(value) if value.contains("x86_rep_movsb_threshold") => None,
            Some(value) if !value.is_empty() => Some(format!("{value}:{TUNABLE}")),
            _ => Some(TUNABLE.to_string()),
        }
    }

    /// The user's `GLIBC_TUNABLES` from the restarted process's (`None`: it was unset).
    fn without_tunable(restarted: &str) -> Option<String> {
        restarted
            .strip_suffix(TUNABLE)
            .map(|rest| rest.strip_suffix(':').unwrap_or(rest))
            .filter(|rest| !rest.is_empty())
            .map(str::to_string)
    }

    /// AMD, with fast short `rep movsb` (FSRM): the CPUs where glibc's choice is slow.
    fn cpu_has_the_quirk() -> bool {
        use std::arch::x86_64::{__cpuid, __cpuid_count};
        let vendor = __cpuid(0);
        let amd = vendor.ebx == u32::from_le_bytes(*b"Auth")
            && vendor.edx == u32::from_le_bytes(*b"enti")
            && vendor.ecx == u32::from_le_bytes(*b"cAMD");
        amd && vendor.eax >= 7 && __cpuid_count(7, 0).edx & (1 << 4) != 0
    }

    /// A glibc version string ("2.36") from before the release that stopped using `rep movsb`
    /// on these CPUs.
    fn glibc_has_the_quirk(version: &str) -> bool {
        let mut parts = version.split('.').map(|part| part.parse::<u32>().ok());
        match (parts.next().flatten(), parts.next().flatten()) {
            (Some(major), Some(minor)) => (major, minor) < (2, 40),
            _ => false,
        }
    }

    fn glibc_version() -> String {
        // SAFETY: gnu_get_libc_version returns a pointer to a static, NUL-terminated string.
        unsafe { CStr::from_ptr(nix::libc::gnu_get_libc_version()) }
            .to_string_lossy()
            .into_owned()
    }

    #[cfg(test)]
    mod tests {
        use super::*;

        #[test]
        fn the_tunable_joins_the_users_and_leaves_again() {
            assert_eq!(with_tunable(None).as_deref(), Some(TUNABLE));
            assert_eq!(with_tunable(Some("")).as_deref(), Some(TUNABLE));
            let joined = with_tunable(Some("glibc.malloc.arena_max=2")).unwrap();
            assert_eq!(joined, format!("glibc.malloc.arena_max=2:{TUNABLE}"));
            assert_eq!(
                without_tunable(&joined).as_deref(),
                Some("glibc.malloc.arena_max=2")
            );
            assert_eq!(without_tunable(TUNABLE), None);
        }

        #[test]
        fn a_users_own_threshold_is_kept() {
            assert_eq!(
                with_tunable(Some("glibc.cpu.x86_rep_movsb_threshold=8192")),
                None
            );
        }

        #[test]
        fn only_glibc_before_2_40_has_the_quirk() {
            assert!(glibc_has_the_quirk("2.36"));
            assert!(glibc_has_the_quirk("2.39"));
            assert!(!glibc_has_the_quirk("2.40"));
            assert!(!glibc_has_the_quirk("2.41"));
            assert!(!glibc_has_the_quirk("3.0"));
            assert!(!glibc_has_the_quirk("unknown"));
        }
    }
}
