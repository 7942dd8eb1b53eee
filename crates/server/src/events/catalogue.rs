//! The event catalogue: code, severity, category and message templates in Japanese and English.
//!
//! Codes follow JP1/IT Desktop Management 2's numbering (spec/001_E.md §2.2) where an event
//! exists there; Kanri's own events use 5000 and above.

use serde::Serialize;

/// How urgent an event is (緊急・警戒・情報).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    /// 緊急.
    Emergency,
    /// 警戒.
    Alert,
    /// 情報.
    Info,
}

impl Severity {
    /// Stored form.
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Emergency => "emergency",
            Severity::Alert => "alert",
            Severity::Info => "info",
        }
    }
}

/// The kinds of events Kanri raises.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(i64)]
pub enum EventCode {
    /// 0: a device was found (params: device_type, hostname).
    DeviceDiscovered = 0,
    /// 1: a device became managed (hostname).
    DeviceManaged = 1,
    /// 2: a device was set unmanaged / excluded (hostname).
    DeviceExcluded = 2,
    /// 3: a device was deleted (hostname, by).
    DeviceDeleted = 3,
    /// 4: the licence count was exceeded and a device was not registered (hostname, limit).
    LicenceExceeded = 4,
    /// 5: the agent was uninstalled and the device became agentless (hostname).
    AgentUninstalled = 5,
    /// 6: the agent applied the current agent settings (hostname, version).
    AgentSettingsUpdated = 6,
    /// 7: memory size changed (before, after).
    MemoryChanged = 7,
    /// 8: hardware added (interface, model, capacity).
    HardwareAdded = 8,
    /// 9: hardware removed (interface, model, capacity).
    HardwareRemoved = 9,
    /// 211: an agent payload was refused (reason, field, section).
    InventoryRejected = 211,
    /// 1004: software never seen before in the catalogue (name, version, hostname).
    NewSoftware = 1004,
    /// 1008: the agent version changed (before, after).
    AgentVersionChanged = 1008,
    /// 5001: one host identifier reported by two machines, e.g. a cloned disk image
    /// (host_id, original_device, new_device).
    DuplicateHostId = 5001,
    /// 5002: a device's hardware fingerprint changed (before, after).
    FingerprintChanged = 5002,
}

/// Everything needed to show an event.
#[derive(Debug, Clone, Copy)]
pub struct Definition {
    /// The code.
    pub code: EventCode,
    /// Severity.
    pub severity: Severity,
    /// Screen category (Device, Error, Settings, …).
    pub category: &'static str,
    /// Japanese template with `{param}` slots.
    pub ja: &'static str,
    /// English template with `{param}` slots.
    pub en: &'static str,
}

const CATALOGUE: &[Definition] = &[
    Definition { code: EventCode::DeviceDiscovered, severity: Severity::Info, category: "device",
        ja: "機器を発見しました。(機器種別 = {device_type}, ホスト名 = {hostname})",
        en: "A device was discovered. (device type = {device_type}, host name = {hostname})" },
    Definition { code: EventCode::DeviceManaged, severity: Severity::Info, category: "device",
        ja: "機器を管理対象にしました。(ホスト名 = {hostname})",
        en: "The device was made managed. (host name = {hostname})" },
    Definition { code: EventCode::DeviceExcluded, severity: Severity::Info, category: "device",
        ja: "機器を除外対象にしました。(ホスト名 = {hostname})",
        en: "The device was excluded from management. (host name = {hostname})" },
    Definition { code: EventCode::DeviceDeleted, severity: Severity::Info, category: "device",
        ja: "機器を削除しました。(ホスト名 = {hostname}, 操作者 = {by})",
        en: "The device was deleted. (host name = {hostname}, by = {by})" },
    Definition { code: EventCode::LicenceExceeded, severity: Severity::Alert, category: "device",
        ja: "ライセンス数を超えたため、機器を登録できませんでした。(ホスト名 = {hostname}, ライセンス数 = {limit})",
        en: "The device was not registered because the licence count was exceeded. (host name = {hostname}, licences = {limit})" },
    Definition { code: EventCode::AgentUninstalled, severity: Severity::Alert, category: "device",
        ja: "エージェントがアンインストールされました。(ホスト名 = {hostname})",
        en: "The agent was uninstalled. (host name = {hostname})" },
    Definition { code: EventCode::AgentSettingsUpdated, severity: Severity::Info, category: "device",
        ja: "エージェント設定が更新されました。(ホスト名 = {hostname}, バージョン = {version})",
        en: "The agent settings were updated. (host name = {hostname}, version = {version})" },
    Definition { code: EventCode::MemoryChanged, severity: Severity::Info, category: "device",
        ja: "メモリ容量が変更されました。(変更前 = {before}, 変更後 = {after})",
        en: "The memory size changed. (before = {before}, after = {after})" },
    Definition { code: EventCode::HardwareAdded, severity: Severity::Info, category: "device",
        ja: "ハードウェアが追加されました。(インタフェース = {interface}, モデル = {model}, 容量 = {capacity})",
        en: "Hardware was added. (interface = {interface}, model = {model}, capacity = {capacity})" },
    Definition { code: EventCode::HardwareRemoved, severity: Severity::Info, category: "device",
        ja: "ハードウェアが取り外されました。(インタフェース = {interface}, モデル = {model}, 容量 = {capacity})",
        en: "Hardware was removed. (interface = {interface}, model = {model}, capacity = {capacity})" },
    Definition { code: EventCode::InventoryRejected, severity: Severity::Alert, category: "error",
        ja: "受信したデータの形式が不正なため、登録しませんでした。(要因 = {reason}, 項目 = {field})",
        en: "Received data was rejected because its format is invalid. (reason = {reason}, field = {field})" },
    Definition { code: EventCode::NewSoftware, severity: Severity::Info, category: "device",
        ja: "新しいソフトウェアが見つかりました。(ソフトウェア名 = {name}, バージョン = {version}, ホスト名 = {hostname})",
        en: "New software was found. (software = {name}, version = {version}, host name = {hostname})" },
    Definition { code: EventCode::AgentVersionChanged, severity: Severity::Info, category: "device",
        ja: "エージェントのバージョンが更新されました。(変更前 = {before}, 変更後 = {after})",
        en: "The agent version was updated. (before = {before}, after = {after})" },
    Definition { code: EventCode::DuplicateHostId, severity: Severity::Alert, category: "device",
        ja: "同じホスト識別子を持つ機器を検出しました。ディスクイメージの複製の可能性があります。新しい機器として登録しました。(ホスト識別子 = {host_id}, 元の機器 = {original_device}, 新しい機器 = {new_device})",
        en: "Two machines reported the same host identifier, probably a cloned disk image; the newcomer was registered as a new device. (host identifier = {host_id}, original device = {original_device}, new device = {new_device})" },
    Definition { code: EventCode::FingerprintChanged, severity: Severity::Info, category: "device",
        ja: "機器のハードウェア識別情報が変更されました。(変更前 = {before}, 変更後 = {after})",
        en: "The device's hardware identity changed. (before = {before}, after = {after})" },
];

/// Every definition, by code.
pub fn all() -> &'static [Definition] {
    CATALOGUE
}

impl Definition {
    /// The event's name for lists and filters: its message without the parameter part.
    pub fn title(&self, japanese: bool) -> &'static str {
        let template = if japanese { self.ja } else { self.en };
        template
            .split(['(', '{'])
            .next()
            .unwrap_or(template)
            .trim_end()
    }
}

/// The definition of a code.
pub fn definition(code: EventCode) -> &'static Definition {
    CATALOGUE
        .iter()
        .find(|definition| definition.code == code)
        .unwrap_or(&CATALOGUE[0])
}

/// The definition of a stored code, if the catalogue knows it.
pub fn lookup(code: i64) -> Option<&'static Definition> {
    CATALOGUE
        .iter()
        .find(|definition| definition.code as i64 == code)
}

/// Fills a template's `{param}` slots; missing parameters show as `-`.
pub fn render(template: &str, params: &serde_json::Map<String, serde_json::Value>) -> String {
    let mut out = String::with_capacity(template.len() + 32);
    let mut rest = template;
    while let Some(open) = rest.find('{') {
        out.push_str(&rest[..open]);
        let Some(close) = rest[open..].find('}') else {
            out.push_str(&rest[open..]);
            return out;
        };
        let key = &rest[open + 1..open + close];
        match params.get(key) {
            Some(serde_json::Value::String(text)) => out.push_str(text),
            Some(serde_json::Value::Null) | None => out.push('-'),
            Some(other) => out.push_str(&other.to_string()),
        }
        rest = &rest[open + close + 1..];
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn check(code: EventCode, params: serde_json::Value, ja: &str, en: &str) {
        let definition = definition(code);
        let params = params.as_object().unwrap().clone();
        assert_eq!(render(definition.ja, &params), ja);
        assert_eq!(render(definition.en, &params), en);
    }

    #[test]
    fn renders_both_languages() {
        check(
            EventCode::MemoryChanged,
            json!({"before": "8 GiB", "after": 16}),
            "メモリ容量が変更されました。(変更前 = 8 GiB, 変更後 = 16)",
            "The memory size changed. (before = 8 GiB, after = 16)",
        );
        check(
            EventCode::DeviceManaged,
            json!({}),
            "機器を管理対象にしました。(ホスト名 = -)",
            "The device was made managed. (host name = -)",
        );
        check(
            EventCode::AgentUninstalled,
            json!({"hostname": "pc-01"}),
            "エージェントがアンインストールされました。(ホスト名 = pc-01)",
            "The agent was uninstalled. (host name = pc-01)",
        );
        check(
            EventCode::AgentSettingsUpdated,
            json!({"hostname": "pc-01", "version": 3}),
            "エージェント設定が更新されました。(ホスト名 = pc-01, バージョン = 3)",
            "The agent settings were updated. (host name = pc-01, version = 3)",
        );
    }

    #[test]
    fn every_code_has_one_definition() {
        for definition in CATALOGUE {
            assert_eq!(
                lookup(definition.code as i64).map(|d| d.code),
                Some(definition.code)
            );
            assert!(!definition.ja.is_empty() && !definition.en.is_empty());
        }
        assert!(lookup(9999).is_none());
    }
}
