//! The vendor list (契約会社リスト) from rows: company name (the key, unique), address,
//! contact person and contact. Bulk editing is export → edit → import (spec 001_D §4.4); the
//! vendor export writes the same fields under the same headers (`cells`).

use sqlx::AnyConnection;

use crate::assets::contracts::store::{self, Vendor, VendorFields};
use crate::assets::import::apply::{Ctx, Done, Failure, Importer, Item};
use crate::assets::import::kinds::{text, Field, FieldType, Row, RowError};
use crate::assets::import::refs::Refs;
use crate::assets::values;
use crate::core::error::AppError;

/// The fields.
pub const FIELDS: &[Field] = &[
    Field {
        name: "name",
        ja: "会社名",
        en: "Company name",
        ty: FieldType::Text,
    },
    Field {
        name: "address",
        ja: "住所",
        en: "Address",
        ty: FieldType::Text,
    },
    Field {
        name: "contact_person",
        ja: "担当者",
        en: "Contact person",
        ty: FieldType::Text,
    },
    Field {
        name: "contact",
        ja: "連絡先",
        en: "Contact",
        ty: FieldType::Text,
    },
];

/// Longest value but the address, in characters (as the vendor editor allows).
const MAX_TEXT_CHARS: usize = 255;
/// Longest address.
const MAX_ADDRESS_CHARS: usize = 500;

/// One vendor's cells as the export writes them, in [`FIELDS`] order.
pub fn cells(vendor: &Vendor) -> [&str; 4] {
    [
        &vendor.name,
        &vendor.address,
        &vendor.contact_person,
        &vendor.contact,
    ]
}

/// What a row sets; none keeps.
#[derive(Debug)]
pub struct VendorPatch {
    name: Option<String>,
    address: Option<String>,
    contact_person: Option<String>,
    contact: Option<String>,
}

/// The importer of vendors.
#[derive(Debug)]
pub struct Vendors;

impl Importer for Vendors {
    type Patch = VendorPatch;

    const SCOPED: bool = false;

    fn parse(row: &Row<'_>, _refs: &Refs) -> Result<VendorPatch, RowError> {
        let plain = |field: &str, max: usize| {
            values::plain(field, text(row.cell(field)), max).map_err(RowError::from)
        };
        Ok(VendorPatch {
            name: plain("name", MAX_TEXT_CHARS)?,
            address: plain("address", MAX_ADDRESS_CHARS)?,
            contact_person: plain("contact_person", MAX_TEXT_CHARS)?,
            contact: plain("contact", MAX_TEXT_CHARS)?,
        })
    }

    async fn apply(
        conn: &mut AnyConnection,
        ctx: &mut Ctx<'_>,
        items: Vec<Item<VendorPatch>>,
    ) -> Result<(), AppError> {
        for item in items {
            let result = apply_one(conn, ctx, item.line, item.target, item.patch).await;
            ctx.outcome.settle(item.line, item.cells, result)?;
        }
        Ok(())
    }
}

async fn apply_one(
    conn: &mut AnyConnection,
    ctx: &mut Ctx<'_>,
    line: u64,
    target: Option<i64>,
    patch: VendorPatch,
) -> Result<Done, Failure> {
    let current = target.and_then(|id| ctx.refs.vendor_records.get(&id));
    let before = current.map_or_else(VendorFields::default, |vendor| VendorFields {
        name: vendor.name.clone(),
        address: vendor.address.clone(),
        contact_person: vendor.contact_person.clone(),
        contact: vendor.contact.clone(),
    });
    let mut fields = before.clone();
    for (value, target) in [
        (patch.name, &mut fields.name),
        (patch.address, &mut fields.address),
        (patch.contact_person, &mut fields.contact_person),
        (patch.contact, &mut fields.contact),
    ] {
        if let Some(value) = value {
            *target = value;
        }
    }
    if fields.name.is_empty() {
        return Err(RowError("name: a vendor needs a name".into()).into());
    }
    let key = current.map(|vendor| (vendor.id, vendor.version));
    if key.is_some() && fields == before {
        return Ok(Done::Unchanged);
    }
    if fields.name != before.name {
        let stored = ctx.refs.vendors.get(&fields.name).copied();
        ctx.claim(
            ("vendor", "name"),
            &fields.name,
            line,
            (stored, key.map(|(id, _)| id)),
        )?;
    }
    if ctx.write
        && store::save_vendor(conn, key, &fields, ctx.now)
            .await?
            .is_none()
    {
        return Err(
            RowError("the vendor was changed by someone else while the import ran".into()).into(),
        );
    }
    Ok(if key.is_some() {
        Done::Updated
    } else {
        Done::Added
    })
}
