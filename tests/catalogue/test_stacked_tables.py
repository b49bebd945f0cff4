"""The report page's table of formats and prices stacks on small screens (assets/scss): each of
its cells carries its column's name to show above the value, and the table keeps its roles."""

import re


def test_each_price_cell_carries_its_column_name(create_report, client):
    report = create_report()
    html = client.get(f"/reports/{report.slug}").get_data(as_text=True)
    table = html.split('role="table"', 1)[1].split("</table>", 1)[0]
    heads = re.findall(r'role="columnheader"[^>]*>([^<]*)</th>', table)
    assert heads == ["Format", "Delivery", "Price", "VAT", "Insight subscribers"]
    rows = table.split("<tbody", 1)[1].split('role="row"')[1:]
    assert len(rows) == len(report.formats)
    for row in rows:
        assert re.findall(r'<td role="cell"[^>]*data-label="([^"]*)"', row) == heads
