//! Inventory sections (JSON as the agent sent it) laid out for a page: scalar fields as
//! label/value rows, lists of objects as tables, nested objects flattened into dotted labels.
//! Generic on purpose: a field the agent learns to send shows up without a template change.

use serde_json::Value;

/// A part of a section's page.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Block {
    /// Label/value rows.
    Fields(Vec<(String, String)>),
    /// A titled table.
    Table {
        /// The field holding the list.
        title: String,
        /// Column names (every key met, in first-seen order).
        headers: Vec<String>,
        /// Cells, one row per list element.
        rows: Vec<Vec<String>>,
    },
}

/// Labels of the agent's keys in Japanese (the seeds' terms) and English, sorted by key for
/// binary search. A key not listed shows as sent.
const LABELS: &[(&str, &str, &str)] = &[
    ("accounts", "ローカルアカウント", "Local accounts"),
    ("active_state", "稼働状態", "Active state"),
    ("arch", "アーキテクチャ", "Architecture"),
    ("auto_updates", "自動更新", "Automatic updates"),
    ("batteries", "バッテリー", "Batteries"),
    ("bios_date", "BIOS日付", "BIOS date"),
    ("bios_vendor", "BIOSベンダー", "BIOS vendor"),
    ("bios_version", "BIOSバージョン", "BIOS version"),
    ("boot_time", "起動日時", "Boot time"),
    ("bus", "バス", "Bus"),
    ("bus_path", "バスパス", "Bus path"),
    ("capacity_percent", "容量（%）", "Capacity (%)"),
    ("chassis", "筐体", "Chassis"),
    (
        "clamav_definitions_age_days",
        "ClamAV定義ファイルの経過日数",
        "ClamAV definitions age (days)",
    ),
    ("clamav_present", "ClamAV導入", "ClamAV installed"),
    ("class", "クラス", "Class"),
    ("cores", "コア数", "Cores"),
    ("cpu", "CPU", "CPU"),
    ("cpu.cores", "CPUコア数", "CPU cores"),
    ("cpu.mhz", "CPUクロック（MHz）", "CPU clock (MHz)"),
    ("cpu.model", "CPU", "CPU"),
    ("cpu.sockets", "CPUソケット数", "CPU sockets"),
    ("cpu.threads", "CPUスレッド数", "CPU threads"),
    ("cpu.vendor", "CPUベンダー", "CPU vendor"),
    (
        "default_gateway",
        "デフォルトゲートウェイ",
        "Default gateway",
    ),
    (
        "default_gateway_v6",
        "デフォルトゲートウェイ（IPv6）",
        "Default gateway (IPv6)",
    ),
    ("description", "説明", "Description"),
    (
        "design_capacity_mwh",
        "設計容量（mWh）",
        "Design capacity (mWh)",
    ),
    ("device", "デバイス", "Device"),
    ("devices", "デバイス", "Devices"),
    ("disks", "ディスク", "Disks"),
    ("dns_search", "DNS検索ドメイン", "DNS search domains"),
    ("dns_servers", "DNSサーバー", "DNS servers"),
    ("domain", "ドメイン", "Domain"),
    ("driver", "ドライバー", "Driver"),
    ("enabled_state", "自動起動", "Enabled"),
    ("filesystems", "ファイルシステム", "File systems"),
    ("firewall_active", "ファイアウォール有効", "Firewall active"),
    ("firewall_kind", "ファイアウォールの種類", "Firewall"),
    ("fqdn", "FQDN", "FQDN"),
    ("free_bytes", "空き容量", "Free"),
    ("fs_type", "種類", "Type"),
    (
        "full_capacity_mwh",
        "満充電容量（mWh）",
        "Full capacity (mWh)",
    ),
    ("full_name", "氏名", "Full name"),
    ("gid", "GID", "GID"),
    ("gpus", "グラフィックス", "Graphics"),
    ("home", "ホームディレクトリ", "Home directory"),
    ("hostname", "ホスト名", "Host name"),
    ("id", "ID", "ID"),
    ("install_time", "インストール日時", "Installed"),
    ("interfaces", "ネットワークアダプター", "Network adapters"),
    ("ipv4", "IPv4アドレス", "IPv4 addresses"),
    ("ipv6", "IPv6アドレス", "IPv6 addresses"),
    ("is_virtual", "仮想マシン", "Virtual machine"),
    ("kernel", "カーネル", "Kernel"),
    ("kind", "種別", "Kind"),
    (
        "last_password_change_days",
        "最終パスワード変更からの日数",
        "Days since password change",
    ),
    ("locale", "ロケール", "Locale"),
    ("locked", "ロック", "Locked"),
    ("login_time", "ログオン日時", "Logged on"),
    ("mac", "MACアドレス", "MAC address"),
    ("machine_id", "マシンID", "Machine ID"),
    ("manufacturer", "メーカー", "Manufacturer"),
    ("memory_bytes", "メモリ容量", "Memory"),
    ("memory_modules", "メモリモジュール", "Memory modules"),
    ("mhz", "クロック（MHz）", "Clock (MHz)"),
    ("model", "機種", "Model"),
    ("mount_point", "マウントポイント", "Mount point"),
    ("mtu", "MTU", "MTU"),
    ("name", "名称", "Name"),
    ("part_number", "部品番号", "Part number"),
    (
        "pending_security_updates",
        "未適用のセキュリティ更新",
        "Pending security updates",
    ),
    ("pending_updates", "未適用の更新", "Pending updates"),
    ("pretty_name", "OS名", "OS"),
    ("product", "製品", "Product"),
    ("product_id", "製品ID", "Product ID"),
    ("remote_host", "接続元", "Remote host"),
    ("rotational", "HDD（回転型）", "Rotational"),
    ("serial", "シリアル番号", "Serial number"),
    ("sessions", "ログオン中のセッション", "Sessions"),
    ("shell", "シェル", "Shell"),
    ("size_bytes", "容量", "Size"),
    ("slot", "スロット", "Slot"),
    ("sockets", "ソケット数", "Sockets"),
    ("source", "種別", "Source"),
    ("speed_mbps", "リンク速度（Mbps）", "Link speed (Mbps)"),
    ("speed_mts", "速度（MT/s）", "Speed (MT/s)"),
    (
        "ssh_password_authentication",
        "SSHパスワード認証",
        "SSH password authentication",
    ),
    (
        "ssh_permit_root_login",
        "SSH rootログイン許可",
        "SSH root login",
    ),
    ("sshd_present", "SSHサーバー導入", "SSH server installed"),
    ("status", "状態", "Status"),
    ("sub_state", "詳細状態", "Sub-state"),
    ("technology", "方式", "Technology"),
    ("threads", "スレッド数", "Threads"),
    ("timezone", "タイムゾーン", "Time zone"),
    ("tty", "端末", "Terminal"),
    ("uid", "UID", "UID"),
    ("units", "サービス", "Units"),
    ("up", "リンク", "Link up"),
    ("user", "ユーザー", "User"),
    ("uuid", "UUID", "UUID"),
    ("vendor", "ベンダー", "Vendor"),
    ("vendor_id", "ベンダーID", "Vendor ID"),
    ("version", "バージョン", "Version"),
    ("virtualization", "仮想化", "Virtualization"),
    ("wireless", "無線", "Wireless"),
];

/// The label of a field path (`cpu.model`) or of its last part, in `lang`; the key as sent
/// when none is known.
pub fn label(path: &str, lang: crate::console::i18n::Lang) -> String {
    let find = |key: &str| {
        LABELS
            .binary_search_by(|(k, _, _)| k.cmp(&key))
            .ok()
            .map(|at| LABELS[at])
    };
    let known = find(path).or_else(|| path.rsplit('.').next().and_then(find));
    match (known, lang) {
        (Some((_, ja, _)), crate::console::i18n::Lang::Ja) => ja.to_string(),
        (Some((_, _, en)), crate::console::i18n::Lang::En) => en.to_string(),
        (None, _) => path.to_string(),
    }
}

/// `blocks` with labels, table titles and column names in `lang`.
pub fn localize(blocks: Vec<Block>, lang: crate::console::i18n::Lang) -> Vec<Block> {
    blocks
        .into_iter()
        .map(|block| match block {
            Block::Fields(rows) => Block::Fields(
                rows.into_iter()
                    .map(|(key, value)| (label(&key, lang), value))
                    .collect(),
            ),
            Block::Table {
                title,
                headers,
                rows,
            } => Block::Table {
                title: label(&title, lang),
                headers: headers.iter().map(|h| label(h, lang)).collect(),
                rows,
            },
        })
        .collect()
}

/// The blocks of one section.
pub fn layout(section: &Value) -> Vec<Block> {
    let mut fields = Vec::new();
    let mut tables = Vec::new();
    collect(section, "", &mut fields, &mut tables);
    let mut blocks = Vec::new();
    if !fields.is_empty() {
        blocks.push(Block::Fields(fields));
    }
    blocks.extend(tables);
    blocks
}

fn collect(
    value: &Value,
    prefix: &str,
    fields: &mut Vec<(String, String)>,
    tables: &mut Vec<Block>,
) {
    match value {
        Value::Object(map) => {
            for (key, value) in map {
                let label = if prefix.is_empty() {
                    key.clone()
                } else {
                    format!("{prefix}.{key}")
                };
                collect(value, &label, fields, tables);
            }
        }
        Value::Array(items) if items.iter().any(Value::is_object) => {
            let mut headers: Vec<String> = Vec::new();
            for item in items {
                if let Value::Object(map) = item {
                    for key in map.keys() {
                        if !headers.contains(key) {
                            headers.push(key.clone());
                        }
                    }
                }
            }
            let rows = items
                .iter()
                .map(|item| {
                    headers
                        .iter()
                        .map(|header| item.get(header).map(cell).unwrap_or_default())
                        .collect()
                })
                .collect();
            tables.push(Block::Table {
                title: prefix.to_string(),
                headers,
                rows,
            });
        }
        other => fields.push((prefix.to_string(), cell(other))),
    }
}

/// A value as one cell's text.
fn cell(value: &Value) -> String {
    match value {
        Value::Null => String::new(),
        Value::String(text) => text.clone(),
        Value::Array(items) => items.iter().map(cell).collect::<Vec<_>>().join(", "),
        Value::Object(_) => value.to_string(),
        other => other.to_string(),
    }
}

#[cfg(test)]
mod label_tests {
    use super::{label, LABELS};
    use crate::console::i18n::Lang;

    #[test]
    fn labels_are_sorted_and_found() {
        assert!(
            LABELS.windows(2).all(|pair| pair[0].0 < pair[1].0),
            "sorted for binary search"
        );
        assert_eq!(label("cpu.model", Lang::Ja), "CPU");
        assert_eq!(label("interfaces", Lang::Ja), "ネットワークアダプター");
        assert_eq!(
            label("disks.serial", Lang::Ja),
            "シリアル番号",
            "by the last part"
        );
        assert_eq!(label("memory_bytes", Lang::En), "Memory");
        assert_eq!(label("something_new", Lang::Ja), "something_new");
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn objects_become_fields_and_lists_become_tables() {
        let section = json!({
            "cpu": {"model": "EPYC", "cores": 2},
            "memory_bytes": 1024,
            "disks": [{"name": "vda", "size": 10}, {"name": "vdb", "rotational": true}],
            "dns": ["10.0.0.1", "10.0.0.2"],
            "empty": null
        });
        let blocks = layout(&section);
        assert_eq!(
            blocks[0],
            Block::Fields(vec![
                ("cpu.cores".into(), "2".into()),
                ("cpu.model".into(), "EPYC".into()),
                ("dns".into(), "10.0.0.1, 10.0.0.2".into()),
                ("empty".into(), String::new()),
                ("memory_bytes".into(), "1024".into()),
            ])
        );
        assert_eq!(
            blocks[1],
            Block::Table {
                title: "disks".into(),
                headers: vec!["name".into(), "size".into(), "rotational".into()],
                rows: vec![
                    vec!["vda".into(), "10".into(), String::new()],
                    vec!["vdb".into(), String::new(), "true".into()],
                ],
            }
        );
    }
}
