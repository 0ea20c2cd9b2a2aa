"""scripts/gen_module_docs.py on a module with the awkward cases (no core needed)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.modules.layout import gen_module_docs

pytestmark = pytest.mark.lint

MODULE = r'''terraform {
  required_version = ">= 1.5.0"
  required_providers {
    ode = {
      source  = "registry.terraform.io/ode/ode"
      version = "~> 0.1"
    }
  }
}

variable "zeta" {
  description = "Quoted \"x\", a pipe | a <tag> and $${not_interpolated}."
  type        = map(object({ a = string, b = optional(number, 3) }))
  default     = { a = { a = "x", b = 1 } }
}

variable "alpha" {
  description = <<-EOT
    Two
    lines.
  EOT
  type        = list(string)
}

variable "nullable" {
  description = "Defaults to null, so not required."
  type        = number
  default     = null
}

resource "ode_network" "this" {
  name = "x"
}

output "id" {
  description = "The ID."
  value       = ode_network.this.id
}
'''


def test_render(tmp_path: Path) -> None:
    docs = gen_module_docs()
    (tmp_path / "main.tf").write_text(MODULE)
    readme = docs.render_readme(tmp_path, "# demo\n\nHand-written.\n")
    assert readme.startswith("# demo\n\nHand-written.\n\n<!-- BEGIN_TF_DOCS -->\n")
    assert readme.endswith("<!-- END_TF_DOCS -->\n")
    lines = readme.splitlines()
    # Required first, then by name.
    inputs = [l for l in lines if l.startswith('| <a name="input_')]
    assert [l.split("</a> [")[1].split("]")[0] for l in inputs] == ["alpha", "nullable", "zeta"]
    assert "| Two<br>lines. | `list(string)` | n/a | yes |" in inputs[0]
    assert "| `number` | `null` | no |" in inputs[1]
    assert 'Quoted "x", a pipe \\| a &lt;tag&gt; and ${not_interpolated}.' in inputs[2]
    assert '`{ a = { a = "x", b = 1 } }`' in inputs[2]
    assert "| terraform / tofu | `>= 1.5.0` |" in lines
    assert "| ode | `~> 0.1` |" in lines
    assert "| `ode_network.this` | resource |" in lines
    assert any(l.startswith('| <a name="output_id"></a>') and "The ID." in l for l in lines)

    # Regenerating replaces only what lies between the markers.
    again = docs.render_readme(tmp_path, readme.replace("| yes |", "| maybe |") + "\nFooter.\n")
    assert again == readme + "\nFooter.\n"


def test_markers_must_pair(tmp_path: Path) -> None:
    docs = gen_module_docs()
    (tmp_path / "main.tf").write_text(MODULE)
    with pytest.raises(docs.ModuleDocsError):
        docs.render_readme(tmp_path, "# demo\n<!-- END_TF_DOCS -->\n<!-- BEGIN_TF_DOCS -->\n")
