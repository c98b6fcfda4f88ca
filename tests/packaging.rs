//! The ways ssetap is installed agree with each other: the Debian package
//! (`[package.metadata.deb]` in Cargo.toml, `contrib/debian/`), the
//! systemd unit, the Dockerfile and the Kubernetes manifest name the same
//! binary path, user, files and version. `.ci/deb-test` builds and
//! installs the package itself; this catches drift in a second.

use std::path::Path;
use std::process::Command;

fn read(path: &str) -> String {
    let full = Path::new(env!("CARGO_MANIFEST_DIR")).join(path);
    std::fs::read_to_string(&full).unwrap_or_else(|e| panic!("{}: {e}", full.display()))
}

/// The `[package.metadata.deb]` table of Cargo.toml, as text.
fn deb_metadata() -> String {
    let manifest = read("Cargo.toml");
    let start = manifest
        .find("\n[package.metadata.deb]\n")
        .expect("a [package.metadata.deb] table");
    let rest = &manifest[start + 1..];
    let end = rest[1..].find("\n[").map_or(rest.len(), |i| i + 1);
    rest[..end].to_string()
}

#[test]
fn the_package_holds_the_binary_and_every_generated_file() {
    let deb = deb_metadata();
    assert!(deb.contains("profile = \"dist\""), "{deb}");
    assert!(
        read("Cargo.toml").contains("\n[profile.dist]\ninherits = \"release\"\n"),
        "the dist profile"
    );
    assert!(
        deb.contains("[\"target/release/ssetap\", \"usr/bin/\", \"755\"]"),
        "{deb}"
    );
    for (_, path) in ssetap::docs::FILES {
        assert!(
            deb.contains(&format!("[\"{path}\", \"usr/share/")),
            "{path} is not packaged: {deb}"
        );
    }
    assert!(deb.contains("[\"contrib/systemd/ssetap@.service\", \"usr/lib/systemd/system/\""));
    assert!(deb.contains("[\"contrib/systemd/example.env\", \"etc/ssetap/example.env\", \"600\"]"));
    assert!(deb.contains("maintainer-scripts = \"contrib/debian/\""));
}

#[test]
fn the_unit_runs_the_installed_binary_as_the_packages_user() {
    let unit = read("contrib/systemd/ssetap@.service");
    // A bare name: systemd finds /usr/bin/ssetap (the package) or
    // /usr/local/bin/ssetap (by hand).
    assert!(unit.contains("\nExecStart=ssetap "), "{unit}");
    assert!(
        unit.contains("\nEnvironmentFile=/etc/ssetap/%i.env\n"),
        "{unit}"
    );
    assert!(
        unit.contains("\nUser=ssetap\n") && unit.contains("\nGroup=ssetap\n"),
        "{unit}"
    );
    assert!(unit.contains("\nDocumentation=man:ssetap(1)\n"), "{unit}");
    let postinst = read("contrib/debian/postinst");
    assert!(
        postinst.contains("adduser --system --group") && postinst.contains(" ssetap\n"),
        "{postinst}"
    );
}

#[test]
fn maintainer_scripts_are_executable_posix_shell() {
    use std::os::unix::fs::PermissionsExt;
    for name in ["postinst", "prerm", "postrm"] {
        let path = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("contrib/debian")
            .join(name);
        let mode = std::fs::metadata(&path).unwrap().permissions().mode();
        assert_eq!(mode & 0o111, 0o111, "{name} is not executable");
        let text = std::fs::read_to_string(&path).unwrap();
        assert!(text.starts_with("#!/bin/sh\n"), "{name}");
        assert!(text.contains("\nset -e\n"), "{name}");
        let check = Command::new("sh").arg("-n").arg(&path).output().unwrap();
        assert!(
            check.status.success(),
            "{name}: {}",
            String::from_utf8_lossy(&check.stderr)
        );
    }
}

#[test]
fn the_image_matches_the_package_and_the_manifest() {
    let version = env!("CARGO_PKG_VERSION");
    let docker = read("Dockerfile");
    assert!(
        docker.contains("cargo build --locked --profile dist"),
        "{docker}"
    );
    assert!(
        docker.contains("target/dist/ssetap /out/usr/bin/ssetap"),
        "{docker}"
    );
    assert!(
        docker.contains("\nENTRYPOINT [\"/usr/bin/ssetap\"]\n"),
        "{docker}"
    );
    assert!(docker.contains("\nUSER 65532:65532\n"), "{docker}");
    assert!(docker.contains("ca-certificates"), "{docker}");
    assert!(
        docker.contains(&format!("docker build -t ssetap:{version} .")),
        "{docker}"
    );
    let k8s = read("contrib/kubernetes/ssetap.yaml");
    assert!(k8s.contains(&format!("image: ssetap:{version}\n")), "{k8s}");
    assert!(
        k8s.contains("runAsUser: 65532\n") && k8s.contains("runAsGroup: 65532\n"),
        "{k8s}"
    );
    assert!(
        k8s.contains(&format!("docker build -t ssetap:{version} .")),
        "{k8s}"
    );
    // The build context leaves out the build output.
    assert!(read(".dockerignore").lines().any(|l| l == "target/"));
}
