/* A modal question (<dialog> with showModal(): focus trapped, the screen behind inert), shared by
   the screens that ask before an action that cannot be undone (Team, an A/B test's winner). */

import { h } from "./dom.js";

/** Resolves true when `yes` is pressed (Escape or Cancel: false). The dialog's id is `id`. */
export function confirmed(id, title, text, yes, danger) {
  return new Promise((resolve) => {
    const ok = h("button", { type: "button", class: danger ? "danger" : "" }, yes);
    const cancel = h("button", { type: "button", class: "secondary" }, "Cancel");
    const dialog = h("dialog", { id, "aria-labelledby": id + "-title" },
      h("h1", { id: id + "-title" }, title), h("p", {}, text),
      h("div", { class: "actions" }, ok, cancel));
    let answer = false;
    ok.addEventListener("click", () => { answer = true; dialog.close(); });
    cancel.addEventListener("click", () => dialog.close());
    dialog.addEventListener("close", () => { dialog.remove(); resolve(answer); });
    document.body.append(dialog);
    dialog.showModal();
    cancel.focus(); // the safe answer first: the confirming button is one Shift+Tab away
  });
}
