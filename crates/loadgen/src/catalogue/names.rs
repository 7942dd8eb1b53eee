//! Package names: real ones found on Debian/Ubuntu and RHEL/AlmaLinux desktops in rough order
//! of popularity, and the word parts the long tail of plausible library names is built from.

use std::collections::HashSet;

use rand::seq::SliceRandom;
use rand::Rng;

use super::pool::Family;

/// Real Debian and Ubuntu package names, the most common first.
pub const DEB_REAL: &str = "\
    base-files base-passwd bash coreutils dash debconf debianutils diffutils dpkg e2fsprogs \
    findutils grep gzip hostname init init-system-helpers libc-bin libc6 libgcc-s1 \
    libstdc++6 login mount ncurses-base ncurses-bin passwd perl-base sed sensible-utils \
    systemd systemd-sysv tar tzdata util-linux zlib1g apt apt-utils adduser bsdutils bzip2 \
    ca-certificates cpio cron curl dmidecode fdisk file gcc-12-base gnupg gpgv iproute2 \
    iputils-ping kmod less libacl1 libapparmor1 libattr1 libaudit1 libaudit-common libblkid1 \
    libbz2-1.0 libcap-ng0 libcap2 libcom-err2 libcrypt1 libcurl4 libdb5.3 libext2fs2 \
    libfdisk1 libffi8 libgcrypt20 libgmp10 libgnutls30 libgpg-error0 libgssapi-krb5-2 \
    libhogweed6 libidn2-0 libk5crypto3 libkeyutils1 libkrb5-3 libkrb5support0 libldap-2.5-0 \
    liblz4-1 liblzma5 libmd0 libmount1 libncursesw6 libnettle8 libnghttp2-14 libp11-kit0 \
    libpam-modules libpam-modules-bin libpam-runtime libpam0g libpcre2-8-0 libpsl5 librtmp1 \
    libsasl2-2 libseccomp2 libselinux1 libsemanage2 libsepol2 libsmartcols1 libsqlite3-0 \
    libss2 libssh2-1 libssl3 libsystemd0 libtasn1-6 libtinfo6 libudev1 libunistring2 \
    libuuid1 libxxhash0 libzstd1 logrotate logsave lsb-release man-db mawk nano netbase \
    openssh-client openssl perl perl-modules-5.36 procps python3 python3-minimal python3.11 \
    python3.11-minimal python3-apt python3-requests python3-urllib3 python3-yaml \
    readline-common rsyslog sudo udev systemd-timesyncd vim-common vim-tiny wget whiptail \
    xz-utils zstd dbus libdbus-1-3 libglib2.0-0 libexpat1 libxml2 libyaml-0-2 libjson-c5 \
    libelf1 libnss3 libnspr4 shared-mime-info xdg-utils dbus-user-session linux-image-amd64 \
    grub-efi-amd64 grub-common grub2-common shim-signed efibootmgr initramfs-tools busybox \
    intel-microcode amd64-microcode firmware-linux-free apparmor nftables \
    unattended-upgrades chrony network-manager wpasupplicant isc-dhcp-client ifupdown \
    avahi-daemon libavahi-client3 libx11-6 libxcb1 libxext6 libxrender1 libxau6 libxdmcp6 \
    libfontconfig1 libfreetype6 fontconfig fontconfig-config fonts-dejavu-core libpng16-16 \
    libjpeg62-turbo libtiff6 libwebp7 libcairo2 libpango-1.0-0 libharfbuzz0b \
    libgdk-pixbuf-2.0-0 libgtk-3-0 libgtk-3-common adwaita-icon-theme hicolor-icon-theme \
    libwayland-client0 libdrm2 libgl1-mesa-dri libegl1 libgbm1 mesa-vulkan-drivers \
    xserver-xorg-core xwayland gnome-shell gnome-terminal gnome-control-center gdm3 nautilus \
    evince eog gedit file-roller pipewire pipewire-pulse wireplumber pulseaudio-utils \
    alsa-utils bluez cups cups-client cups-filters cups-browsed printer-driver-gutenprint \
    fonts-noto-cjk fonts-ipafont-gothic fonts-ipafont-mincho fonts-takao-pgothic ibus \
    ibus-mozc mozc-server mozc-utils-gui fcitx5-mozc firefox-esr thunderbird \
    libreoffice-core libreoffice-common libreoffice-calc libreoffice-writer \
    libreoffice-impress libreoffice-l10n-ja libreoffice-gtk3 pcscd libccid opensc clamav \
    clamav-freshclam clamav-base sssd realmd krb5-user samba-common cifs-utils nfs-common \
    openssh-server openssh-sftp-server flatpak unzip zip rsync htop lsof strace tcpdump \
    net-tools dnsutils bind9-host smartmontools usbutils pciutils lshw ufw snapd \
    ubuntu-minimal ubuntu-standard ubuntu-advantage-tools language-pack-ja \
    language-pack-gnome-ja ubuntu-desktop-minimal apport kerneloops docker.io containerd \
    qemu-guest-agent open-vm-tools cockpit
";

/// Real RHEL and AlmaLinux package names, the most common first.
pub const RPM_REAL: &str = "\
    basesystem filesystem setup bash coreutils coreutils-common glibc glibc-common \
    glibc-minimal-langpack glibc-langpack-ja libgcc libstdc++ systemd systemd-libs \
    systemd-pam systemd-udev systemd-rpm-macros rpm rpm-libs rpm-plugin-selinux \
    rpm-plugin-audit dnf dnf-data dnf-plugins-core yum python3-dnf python3-hawkey libdnf \
    libsolv librepo tzdata ncurses-base ncurses-libs readline sed grep gawk findutils \
    diffutils less which file file-libs tar gzip bzip2-libs xz xz-libs zlib zstd libzstd \
    lz4-libs pam libpwquality cracklib cracklib-dicts shadow-utils util-linux \
    util-linux-core procps-ng iproute iputils kmod kmod-libs dracut dracut-config-rescue \
    kernel kernel-core kernel-modules kernel-modules-core kernel-tools kernel-tools-libs \
    linux-firmware linux-firmware-whence microcode_ctl grub2-common grub2-efi-x64 \
    grub2-tools grub2-tools-minimal shim-x64 efibootmgr openssl openssl-libs crypto-policies \
    crypto-policies-scripts ca-certificates p11-kit p11-kit-trust nss nss-util nss-softokn \
    nss-softokn-freebl nspr gnupg2 gpgme libgcrypt libgpg-error libksba libassuan openssh \
    openssh-clients openssh-server curl libcurl wget libnghttp2 libssh libssh-config \
    krb5-libs cyrus-sasl-lib openldap audit audit-libs libselinux libselinux-utils libsepol \
    libsemanage policycoreutils selinux-policy selinux-policy-targeted libcap libcap-ng \
    libacl libattr libblkid libmount libuuid libfdisk libsmartcols e2fsprogs e2fsprogs-libs \
    xfsprogs lvm2 lvm2-libs device-mapper device-mapper-libs cryptsetup-libs libffi libxml2 \
    libyaml sqlite-libs expat pcre pcre2 glib2 json-c elfutils-libs elfutils-libelf dbus \
    dbus-broker dbus-libs dbus-common python3 python3-libs python3-pip-wheel \
    python3-setuptools-wheel python3-rpm python3-requests python3-urllib3 python3-pyyaml \
    perl-interpreter perl-libs vim-minimal vim-enhanced vim-common vim-filesystem nano sudo \
    cronie cronie-anacron crontabs logrotate rsyslog chrony firewalld firewalld-filesystem \
    python3-firewall nftables iptables-libs NetworkManager NetworkManager-libnm \
    NetworkManager-team NetworkManager-tui NetworkManager-wifi wpa_supplicant dhcp-client \
    tuned irqbalance dnf-automatic sssd sssd-client sssd-common realmd authselect \
    authselect-libs rsync lsof strace tcpdump bind-utils net-tools pciutils usbutils \
    smartmontools lshw dmidecode hostname man-db libX11 libxcb libXext libXrender libXau \
    fontconfig freetype libpng libjpeg-turbo libtiff libwebp cairo pango harfbuzz \
    gdk-pixbuf2 gtk3 adwaita-icon-theme hicolor-icon-theme libwayland-client libdrm \
    mesa-dri-drivers mesa-libEGL mesa-libgbm mesa-vulkan-drivers xorg-x11-server-Xwayland \
    gnome-shell gnome-terminal gnome-control-center gdm nautilus evince eog gedit \
    file-roller pipewire pipewire-pulseaudio wireplumber alsa-utils bluez cups cups-libs \
    cups-filters gutenprint google-noto-sans-cjk-ttc-fonts ipa-gothic-fonts ipa-mincho-fonts \
    vlgothic-fonts ibus ibus-anthy ibus-kkc firefox thunderbird libreoffice-core \
    libreoffice-calc libreoffice-writer libreoffice-impress libreoffice-langpack-ja \
    libreoffice-gtk3 pcsc-lite pcsc-lite-ccid opensc clamav clamd clamav-update clamav-lib \
    samba-client-libs cifs-utils nfs-utils flatpak unzip zip subscription-manager \
    insights-client almalinux-release redhat-release cockpit podman containers-common \
    qemu-guest-agent open-vm-tools kexec-tools
";

/// Word parts of generated library and tool names.
const STEMS: &str = "\
    gst xcb pixbuf cairo pango harf font png jpeg tiff webp codec ogg vorbis flac opus \
    sndfile pulse alsa drm gbm egl wayland xkb input evdev wacom usb hid gudev secret \
    keyring soup json xml yaml toml proto grpc rpc smb ldap sasl gss pcsc ccid tpm fido u2f \
    archive lzo brotli snappy event uv ev http tls crypt sodium argon hash icu idn iconv \
    spell hunspell enchant poppler sane gphoto mtp exif raw heif avif vulkan va vdpau dav \
    vpx aom dvd bluray cdio mpg mad lame tag media playlist geo proj gdal hdf netcdf blas \
    lapack fftw gsl boost qt kf gtk gdk atk atspi gnome kde mate xfce notify canberra \
    indicator dbusmenu polkit accounts upower colord packagekit fwupd gusb mbim qmi modem nm \
    team nl pcap snmp ipmi sensors nvme mdadm lvm blockdev parted btrfs fuse ntfs exfat \
    squash ostree appstream solv repo comps ruby lua tcl guile mono php zeit tracker gom gda \
    gee peas handy adwaita portal pipe wire spa lilv serd sord sratom jack mysof rubber band \
    soxr speex theora schro orc zbar qr barcode dicom hl7 orthanc fhir pdf ps djvu epub \
    mspack chm wpd wpg visio odfgen revenge etonyek mwaw cdr freehand pagemaker qxp zmf \
    staroffice lang tag stemmer snowball mecab kakasi anthy skk canna wnn mozc cangjie
";

/// Endings that turn a stem into a plausible Debian or RHEL package name.
const SUFFIXES: &[&str] = &[
    "", "util", "core", "base", "extra", "tools", "plugin", "backend", "common", "glib", "gtk",
    "qt", "sys", "io", "net",
];

/// Builds `count` unique plausible package names for `family`: the real ones first, in
/// popularity order, then generated names in random order.
pub fn generate(family: Family, count: usize, rng: &mut impl Rng) -> Vec<String> {
    let real = match family {
        Family::Deb => DEB_REAL,
        Family::Rpm => RPM_REAL,
    };
    let stems: Vec<&str> = STEMS.split_ascii_whitespace().collect();
    let mut seen: HashSet<String> = HashSet::with_capacity(count);
    let mut names = Vec::with_capacity(count);
    for name in real.split_ascii_whitespace() {
        if names.len() == count {
            break;
        }
        if seen.insert(name.to_string()) {
            names.push(name.to_string());
        }
    }
    let real_count = names.len();
    let mut attempts = 0usize;
    while names.len() < count {
        attempts += 1;
        let mut name = generated(family, &stems, rng);
        if attempts > count * 50 {
            // Keeps a very large catalogue finite: numbered names never collide.
            name = format!("{name}-{attempts}");
        }
        if seen.insert(name.clone()) {
            names.push(name);
        }
    }
    names[real_count..].shuffle(rng);
    names
}

fn generated(family: Family, stems: &[&str], rng: &mut impl Rng) -> String {
    let stem = stems[rng.gen_range(0..stems.len())];
    let other = stems[rng.gen_range(0..stems.len())];
    let suffix = SUFFIXES[rng.gen_range(0..SUFFIXES.len())];
    let word = if rng.gen_bool(0.4) {
        format!("{stem}{other}")
    } else {
        stem.to_string()
    };
    let word = if suffix.is_empty() {
        word
    } else {
        format!("{word}-{suffix}")
    };
    let so = rng.gen_range(0..12);
    match family {
        Family::Deb => match rng.gen_range(0..12) {
            0..=5 => format!("lib{word}{so}"),
            6 => format!("lib{word}-{so}.0-0"),
            7 => format!("python3-{word}"),
            8 => format!("lib{word}-perl"),
            9 => format!("gir1.2-{word}-{so}.0"),
            10 => format!("{word}-data"),
            _ => word,
        },
        Family::Rpm => match rng.gen_range(0..12) {
            0..=3 => format!("lib{word}"),
            4 | 5 => format!("{word}-libs"),
            6 => format!("python3-{word}"),
            7 => format!("perl-{}", capitalize(&word)),
            8 => format!("{word}-devel"),
            9 => format!("{word}-common"),
            10 => format!("rubygem-{word}"),
            _ => word,
        },
    }
}

fn capitalize(word: &str) -> String {
    let mut chars = word.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}
