//! The USB section: devices under `/sys/bus/usb/devices` (the kernel's own view, no `lsusb`),
//! root hubs left out.

use std::path::Path;

use kanri_proto::inventory::{Usb, UsbDevice};

use super::read::{list_dir, opt_text, read_value, text};
use super::{CollectContext, CollectError, Collector};

/// Collects [`Usb`].
pub(super) struct UsbCollector;

/// The Linux Foundation's vendor id, which the kernel uses for its root hubs.
const ROOT_HUB_VENDOR: &str = "1d6b";

impl Collector for UsbCollector {
    type Section = Usb;

    fn collect(&self, cx: &CollectContext) -> Result<Usb, CollectError> {
        let devices_dir = cx.path("/sys/bus/usb/devices");
        let devices = list_dir(&devices_dir)
            .into_iter()
            .filter_map(|name| device(&devices_dir.join(&name), &name))
            .collect();
        Ok(Usb { devices })
    }
}

/// A device directory (`1-2.3`); interfaces (`1-2.3:1.0`) have no `idVendor` and are skipped.
fn device(dir: &Path, name: &str) -> Option<UsbDevice> {
    let vendor_id = read_value(&dir.join("idVendor"))?.to_ascii_lowercase();
    if vendor_id == ROOT_HUB_VENDOR {
        return None;
    }
    let product_id = read_value(&dir.join("idProduct"))
        .unwrap_or_default()
        .to_ascii_lowercase();
    let value = |file: &str| read_value(&dir.join(file)).as_deref().and_then(opt_text);
    let class = match read_value(&dir.join("bDeviceClass")) {
        // 00: the class is given per interface; the first one says what the device is.
        Some(class) if class == "00" => first_interface_class(dir, name).or(Some(class)),
        other => other,
    };
    Some(UsbDevice {
        vendor_id: text(&vendor_id),
        product_id: text(&product_id),
        serial: value("serial"),
        class: class.as_deref().and_then(opt_text),
        manufacturer: value("manufacturer"),
        product: value("product"),
        bus_path: opt_text(name),
    })
}

fn first_interface_class(dir: &Path, name: &str) -> Option<String> {
    let prefix = format!("{name}:");
    list_dir(dir)
        .into_iter()
        .filter(|entry| entry.starts_with(&prefix))
        .find_map(|interface| read_value(&dir.join(interface).join("bInterfaceClass")))
}

#[cfg(test)]
mod tests {
    use super::super::read::write_fixture;
    use super::*;

    fn check(build: impl FnOnce(&Path), expected: &[UsbDevice]) {
        let root = tempfile::tempdir().expect("temp dir");
        build(root.path());
        let cx = CollectContext {
            root: root.path().to_owned(),
            cache_dir: None,
        };
        assert_eq!(
            UsbCollector.collect(&cx).expect("usb collects").devices,
            expected
        );
    }

    fn usb_device(root: &Path, name: &str, files: &[(&str, &str)]) {
        for (file, content) in files {
            write_fixture(
                root,
                &format!("sys/bus/usb/devices/{name}/{file}"),
                &format!("{content}\n"),
            );
        }
    }

    #[test]
    fn lists_devices_without_root_hubs() {
        check(
            |root| {
                usb_device(
                    root,
                    "usb1",
                    &[
                        ("idVendor", "1d6b"),
                        ("idProduct", "0002"),
                        ("bDeviceClass", "09"),
                    ],
                );
                usb_device(
                    root,
                    "1-2",
                    &[
                        ("idVendor", "046D"),
                        ("idProduct", "c52b"),
                        ("bDeviceClass", "00"),
                        ("manufacturer", "Logitech"),
                        ("product", "USB Receiver"),
                        ("1-2:1.0/bInterfaceClass", "03"),
                        ("1-2:1.1/bInterfaceClass", "ff"),
                    ],
                );
                usb_device(root, "1-2:1.0", &[("bInterfaceClass", "03")]);
                usb_device(
                    root,
                    "2-1.4",
                    &[
                        ("idVendor", "0781"),
                        ("idProduct", "5583"),
                        ("bDeviceClass", "00"),
                        ("serial", "4C530001230101115395"),
                        ("product", "Ultra Fit"),
                    ],
                );
                usb_device(
                    root,
                    "3-1",
                    &[
                        ("idVendor", "0bda"),
                        ("idProduct", "8153"),
                        ("bDeviceClass", "ef"),
                    ],
                );
            },
            &[
                UsbDevice {
                    vendor_id: "046d".into(),
                    product_id: "c52b".into(),
                    serial: None,
                    class: Some("03".into()),
                    manufacturer: Some("Logitech".into()),
                    product: Some("USB Receiver".into()),
                    bus_path: Some("1-2".into()),
                },
                UsbDevice {
                    vendor_id: "0781".into(),
                    product_id: "5583".into(),
                    serial: Some("4C530001230101115395".into()),
                    class: Some("00".into()),
                    manufacturer: None,
                    product: Some("Ultra Fit".into()),
                    bus_path: Some("2-1.4".into()),
                },
                UsbDevice {
                    vendor_id: "0bda".into(),
                    product_id: "8153".into(),
                    serial: None,
                    class: Some("ef".into()),
                    manufacturer: None,
                    product: None,
                    bus_path: Some("3-1".into()),
                },
            ],
        );
        check(|_| {}, &[]);
    }
}
