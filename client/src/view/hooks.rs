//! What the browser tests read from the page: where some buttons are, so a test can tap them
//! like a finger would (`window.emberkeepButtons[label] = [x, y, width, height]` in physical
//! pixels of the canvas; divide by `devicePixelRatio` for CSS pixels). Nothing natively.

use bevy_egui::egui;

/// Publishes a button's place on the page under `label`.
#[cfg(target_family = "wasm")]
pub fn button(ctx: &egui::Context, label: &str, rect: egui::Rect) {
    use wasm_bindgen::JsValue;
    let Some(window) = web_sys::window() else {
        return;
    };
    let key = JsValue::from_str("emberkeepButtons");
    let buttons = match js_sys::Reflect::get(&window, &key) {
        Ok(v) if v.is_object() => v,
        _ => {
            let o: JsValue = js_sys::Object::new().into();
            if js_sys::Reflect::set(&window, &key, &o).is_err() {
                return;
            }
            o
        }
    };
    let ppp = ctx.pixels_per_point();
    let place = js_sys::Array::of4(
        &(rect.min.x * ppp).into(),
        &(rect.min.y * ppp).into(),
        &(rect.width() * ppp).into(),
        &(rect.height() * ppp).into(),
    );
    // A test hook: a failure here changes nothing for the player.
    let _ = js_sys::Reflect::set(&buttons, &JsValue::from_str(label), &place);
}

/// Publishes a button's place on the page (natively: nothing).
#[cfg(not(target_family = "wasm"))]
pub fn button(_ctx: &egui::Context, _label: &str, _rect: egui::Rect) {}
