//! The console's words in Japanese and English.
//!
//! One struct with a field per message, filled once per language: a message missing in one
//! language does not compile. Japanese labels use the seeds' own terms (JP1/IT Desktop
//! Management 2, SKYSEA): 機器一覧, 管理対象, 除外, 部署, 監査ログ, …

/// A console language.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lang {
    /// 日本語.
    Ja,
    /// English.
    En,
}

impl Lang {
    /// From a stored preference (`ja`/`en`), else the browser's `Accept-Language`, else
    /// Japanese.
    pub fn pick(preference: Option<&str>, accept_language: Option<&str>) -> Lang {
        match preference {
            Some("en") => return Lang::En,
            Some("ja") => return Lang::Ja,
            _ => {}
        }
        let first = accept_language
            .and_then(|header| header.split(',').next())
            .map(|tag| tag.trim().to_ascii_lowercase());
        match first.as_deref() {
            Some(tag) if tag.starts_with("en") => Lang::En,
            _ => Lang::Ja,
        }
    }

    /// The language's messages.
    pub fn msgs(self) -> &'static Msgs {
        match self {
            Lang::Ja => &JA,
            Lang::En => &EN,
        }
    }

    /// The `lang` attribute of the page.
    pub fn code(self) -> &'static str {
        match self {
            Lang::Ja => "ja",
            Lang::En => "en",
        }
    }
}

/// Every message of the console.
#[derive(Debug)]
pub struct Msgs {
    pub product: &'static str,
    pub login_title: &'static str,
    pub user_id: &'static str,
    pub password: &'static str,
    pub login_button: &'static str,
    pub logout: &'static str,
    pub login_failed: &'static str,
    pub account_locked: &'static str,
    pub session_ended: &'static str,
    pub form_expired: &'static str,
    pub change_password_title: &'static str,
    pub change_password_first: &'static str,
    pub change_password_expiring: &'static str,
    pub current_password: &'static str,
    pub new_password: &'static str,
    pub confirm_password: &'static str,
    pub passwords_differ: &'static str,
    pub change_button: &'static str,
    pub password_rules: &'static str,
    pub wrong_current_password: &'static str,
    pub password_too_short: &'static str,
    pub password_too_long: &'static str,
    pub password_too_few_classes: &'static str,
    pub password_contains_login: &'static str,
    pub password_control_character: &'static str,
    pub password_reused: &'static str,
    pub home: &'static str,
    pub devices: &'static str,
    pub software: &'static str,
    pub devices_by_state: &'static str,
    pub devices_by_os: &'static str,
    pub state_discovered: &'static str,
    pub state_managed: &'static str,
    pub state_excluded: &'static str,
    pub hostname: &'static str,
    pub state: &'static str,
    pub os: &'static str,
    pub ip_address: &'static str,
    pub mac_address: &'static str,
    pub serial: &'static str,
    pub model: &'static str,
    pub department: &'static str,
    pub last_seen: &'static str,
    pub never: &'static str,
    pub apply: &'static str,
    pub clear: &'static str,
    pub installed_software: &'static str,
    pub any: &'static str,
    pub rows_per_page: &'static str,
    pub next_page: &'static str,
    pub first_page: &'static str,
    pub no_devices: &'static str,
    pub forbidden: &'static str,
    pub not_found: &'static str,
    pub error: &'static str,
    pub unknown: &'static str,
    pub tab_summary: &'static str,
    pub tab_hardware: &'static str,
    pub tab_os: &'static str,
    pub tab_network: &'static str,
    pub tab_users: &'static str,
    pub tab_services: &'static str,
    pub tab_usb: &'static str,
    pub tab_security: &'static str,
    pub tab_history: &'static str,
    pub name: &'static str,
    pub version: &'static str,
    pub architecture: &'static str,
    pub source: &'static str,
    pub vendor: &'static str,
    pub installed_at: &'static str,
    pub when: &'static str,
    pub change: &'static str,
    pub before: &'static str,
    pub after: &'static str,
    pub no_data: &'static str,
    pub manufacturer: &'static str,
    pub memory: &'static str,
    pub agent_version: &'static str,
    pub registered_at: &'static str,
    pub inventory_at: &'static str,
    pub notes: &'static str,
    pub device_detail: &'static str,
}

/// 日本語.
pub static JA: Msgs = Msgs {
    product: "Kanri IT資産管理",
    login_title: "ログイン",
    user_id: "ユーザーID",
    password: "パスワード",
    login_button: "ログイン",
    logout: "ログアウト",
    login_failed: "ユーザーIDまたはパスワードが正しくありません。",
    account_locked: "ログインに続けて失敗したため、アカウントがロックされています。ユーザーアカウント管理権限を持つ管理者にロックの解除を依頼してください。",
    session_ended: "セッションが終了しました。再度ログインしてください。",
    form_expired: "画面の有効期限が切れました。もう一度操作してください。",
    change_password_title: "パスワードの変更",
    change_password_first: "パスワードを変更してください。変更するまで他の操作はできません。",
    change_password_expiring: "パスワードの有効期限が近づいています。",
    current_password: "現在のパスワード",
    new_password: "新しいパスワード",
    confirm_password: "新しいパスワード（確認）",
    passwords_differ: "新しいパスワードと確認用のパスワードが一致しません。",
    change_button: "変更",
    password_rules: "英大文字・英小文字・数字・記号（かな・漢字を含む）のうち指定の種類数以上を組み合わせ、ユーザーIDを含めないでください。",
    wrong_current_password: "現在のパスワードが正しくありません。",
    password_too_short: "パスワードが短すぎます。",
    password_too_long: "パスワードが長すぎます。",
    password_too_few_classes: "文字の種類が足りません。",
    password_contains_login: "パスワードにユーザーIDを含めることはできません。",
    password_control_character: "パスワードに制御文字は使えません。",
    password_reused: "最近使用したパスワードは使えません。",
    home: "ホーム",
    devices: "機器",
    software: "ソフトウェア",
    devices_by_state: "管理状態別の機器数",
    devices_by_os: "OS別の機器数",
    state_discovered: "発見",
    state_managed: "管理対象",
    state_excluded: "管理対象外",
    hostname: "ホスト名",
    state: "管理状態",
    os: "OS",
    ip_address: "IPアドレス",
    mac_address: "MACアドレス",
    serial: "シリアル番号",
    model: "機種",
    department: "部署",
    last_seen: "最終接続日時",
    never: "未接続",
    apply: "適用",
    clear: "クリア",
    installed_software: "インストール済みソフトウェア",
    any: "すべて",
    rows_per_page: "表示件数",
    next_page: "次へ",
    first_page: "先頭へ",
    no_devices: "該当する機器はありません。",
    forbidden: "この画面を表示する権限がありません。",
    not_found: "見つかりません。",
    error: "エラー",
    unknown: "不明",
    tab_summary: "概要",
    tab_hardware: "ハードウェア",
    tab_os: "OS",
    tab_network: "ネットワーク",
    tab_users: "ユーザー",
    tab_services: "サービス",
    tab_usb: "USB機器",
    tab_security: "セキュリティ",
    tab_history: "変更履歴",
    name: "名称",
    version: "バージョン",
    architecture: "アーキテクチャ",
    source: "種別",
    vendor: "ベンダー",
    installed_at: "インストール日時",
    when: "日時",
    change: "変更内容",
    before: "変更前",
    after: "変更後",
    no_data: "情報がありません。",
    manufacturer: "メーカー",
    memory: "メモリ",
    agent_version: "エージェントバージョン",
    registered_at: "登録日時",
    inventory_at: "インベントリ更新日時",
    notes: "ノート",
    device_detail: "機器の詳細",
};

/// English.
pub static EN: Msgs = Msgs {
    product: "Kanri IT asset management",
    login_title: "Sign in",
    user_id: "User ID",
    password: "Password",
    login_button: "Sign in",
    logout: "Sign out",
    login_failed: "The user ID or the password is wrong.",
    account_locked: "The account is locked after too many failed sign-ins. Ask an administrator with the user-account management privilege to unlock it.",
    session_ended: "Your session has ended. Sign in again.",
    form_expired: "The page expired. Please try again.",
    change_password_title: "Change password",
    change_password_first: "Change your password. Nothing else is available until you do.",
    change_password_expiring: "Your password expires soon.",
    current_password: "Current password",
    new_password: "New password",
    confirm_password: "New password (again)",
    passwords_differ: "The new password and its confirmation differ.",
    change_button: "Change",
    password_rules: "Mix the required number of upper case, lower case, digits and symbols (letters without case count as symbols), and do not include your user ID.",
    wrong_current_password: "The current password is wrong.",
    password_too_short: "The password is too short.",
    password_too_long: "The password is too long.",
    password_too_few_classes: "The password mixes too few kinds of characters.",
    password_contains_login: "The password must not contain your user ID.",
    password_control_character: "The password must not contain control characters.",
    password_reused: "That password was used recently.",
    home: "Home",
    devices: "Devices",
    software: "Software",
    devices_by_state: "Devices by state",
    devices_by_os: "Devices by OS",
    state_discovered: "Discovered",
    state_managed: "Managed",
    state_excluded: "Excluded",
    hostname: "Host name",
    state: "State",
    os: "OS",
    ip_address: "IP address",
    mac_address: "MAC address",
    serial: "Serial number",
    model: "Model",
    department: "Department",
    last_seen: "Last seen",
    never: "Never",
    apply: "Apply",
    clear: "Clear",
    installed_software: "Installed software",
    any: "Any",
    rows_per_page: "Rows per page",
    next_page: "Next",
    first_page: "First",
    no_devices: "No devices match.",
    forbidden: "You are not allowed to see this page.",
    not_found: "Not found.",
    error: "Error",
    unknown: "Unknown",
    tab_summary: "Summary",
    tab_hardware: "Hardware",
    tab_os: "OS",
    tab_network: "Network",
    tab_users: "Users",
    tab_services: "Services",
    tab_usb: "USB devices",
    tab_security: "Security",
    tab_history: "Change history",
    name: "Name",
    version: "Version",
    architecture: "Architecture",
    source: "Source",
    vendor: "Vendor",
    installed_at: "Installed",
    when: "When",
    change: "Change",
    before: "Before",
    after: "After",
    no_data: "No information.",
    manufacturer: "Manufacturer",
    memory: "Memory",
    agent_version: "Agent version",
    registered_at: "Registered",
    inventory_at: "Inventory updated",
    notes: "Notes",
    device_detail: "Device details",
};

impl Msgs {
    /// The message for an error code the services return (password rules and the like).
    pub fn for_code(&self, code: &str) -> Option<&'static str> {
        Some(match code {
            "password_too_short" => self.password_too_short,
            "password_too_long" => self.password_too_long,
            "password_too_few_classes" => self.password_too_few_classes,
            "password_contains_login" => self.password_contains_login,
            "password_control_character" => self.password_control_character,
            "password_reused" => self.password_reused,
            _ => return None,
        })
    }

    /// A device state's label.
    pub fn state_label(&self, state: &str) -> &'static str {
        match state {
            "managed" => self.state_managed,
            "excluded" => self.state_excluded,
            _ => self.state_discovered,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_language_follows_the_account_then_the_browser() {
        assert_eq!(Lang::pick(Some("en"), Some("ja")), Lang::En);
        assert_eq!(Lang::pick(None, Some("en-US,en;q=0.9")), Lang::En);
        assert_eq!(Lang::pick(None, Some("ja,en;q=0.8")), Lang::Ja);
        assert_eq!(Lang::pick(None, None), Lang::Ja);
    }

    #[test]
    fn every_password_rule_has_words_in_both_languages() {
        for code in [
            "password_too_short",
            "password_too_long",
            "password_too_few_classes",
            "password_contains_login",
            "password_control_character",
            "password_reused",
        ] {
            assert!(JA.for_code(code).is_some_and(|m| !m.is_empty()));
            assert!(EN.for_code(code).is_some_and(|m| !m.is_empty()));
        }
    }
}
