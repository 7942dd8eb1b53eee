//! Routes of the departments feature.

use axum::routing::{get, post, put};
use axum::Router;

use crate::app::AppState;
use crate::departments::api::{self, Departments, Locations};

/// `/api/v1/departments` and `/api/v1/locations`.
pub fn router() -> Router<AppState> {
    Router::new()
        .route(
            "/api/v1/departments",
            get(api::list::<Departments>).post(api::create::<Departments>),
        )
        .route(
            "/api/v1/departments/prune-retired",
            post(api::prune_retired::<Departments>),
        )
        .route(
            "/api/v1/departments/{id}",
            put(api::replace::<Departments>)
                .patch(api::update::<Departments>)
                .delete(api::delete::<Departments>),
        )
        .route(
            "/api/v1/locations",
            get(api::list::<Locations>).post(api::create::<Locations>),
        )
        .route(
            "/api/v1/locations/prune-retired",
            post(api::prune_retired::<Locations>),
        )
        .route(
            "/api/v1/locations/{id}",
            put(api::replace::<Locations>)
                .patch(api::update::<Locations>)
                .delete(api::delete::<Locations>),
        )
}
