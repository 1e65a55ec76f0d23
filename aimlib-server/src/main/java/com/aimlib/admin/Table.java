package com.aimlib.admin;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;

/** Renders JSON rows as an aligned text table: one column per field, "-" for null. */
final class Table {
    private Table() {
    }

    /** A column's value: a field, or a nested one spelled with dots ({@code health.status}). */
    static JsonNode field(JsonNode row, String column) {
        return column.indexOf('.') < 0 ? row.path(column) : row.at("/" + column.replace('.', '/'));
    }

    static void print(PrintWriter out, JsonNode rows, List<String> columns) {
        List<JsonNode> list = new ArrayList<>();
        if (rows.isArray()) {
            rows.forEach(list::add);
        } else {
            list.add(rows);
        }
        List<String[]> cells = new ArrayList<>();
        cells.add(columns.stream().map(c -> c.toUpperCase().replace('_', ' ').replace('.', ' ')).toArray(String[]::new));
        for (JsonNode row : list) {
            cells.add(columns.stream().map(c -> cell(field(row, c))).toArray(String[]::new));
        }
        int[] widths = new int[columns.size()];
        for (String[] r : cells) {
            for (int i = 0; i < r.length; i++) {
                widths[i] = Math.max(widths[i], r[i].length());
            }
        }
        for (String[] r : cells) {
            StringBuilder line = new StringBuilder();
            for (int i = 0; i < r.length; i++) {
                line.append(i == r.length - 1 ? r[i] : String.format("%-" + widths[i] + "s  ", r[i]));
            }
            out.println(line.toString().stripTrailing());
        }
        if (list.isEmpty()) {
            out.println("(none)");
        }
        out.flush();
    }

    static String cell(JsonNode v) {
        if (v == null || v.isMissingNode() || v.isNull()) {
            return "-";
        }
        if (v.isArray()) {
            List<String> parts = new ArrayList<>();
            v.forEach(e -> parts.add(cell(e)));
            return String.join(",", parts);
        }
        if (v.isObject()) {
            return v.toString();
        }
        return v.asText();
    }
}
