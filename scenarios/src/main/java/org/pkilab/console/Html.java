package org.pkilab.console;

import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.function.Function;

/**
 * The few pieces of HTML every view of the console writes, each escaping what it is given: the directory and the
 * CA hold names a student typed ({@code <script>} as a group name is a valid AD name), so nothing is ever written
 * into a page unescaped. Views build their pages from these and from literal markup only.
 *
 * <pre>{@code
 * Html.text("R&D <lab>")                    // R&amp;D &lt;lab&gt;
 * Html.link("/ad/object?dn=" + Html.query(dn), name)
 * Html.table("Issued requests", List.of("Request ID", "Requester"), rows, r -> List.of(Html.text(r.id()), Html.text(r.who())))
 * }</pre>
 */
public final class Html {

    private Html() {
    }

    /** Text as HTML: {@code & < > " '} escaped; null is empty. */
    public static String text(Object value) {
        if (value == null) {
            return "";
        }
        String s = value.toString();
        StringBuilder out = new StringBuilder(s.length() + 16);
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '&' -> out.append("&amp;");
                case '<' -> out.append("&lt;");
                case '>' -> out.append("&gt;");
                case '"' -> out.append("&quot;");
                case '\'' -> out.append("&#39;");
                default -> out.append(c);
            }
        }
        return out.toString();
    }

    /** A value for a URL's query string. */
    public static String query(String value) {
        return URLEncoder.encode(value == null ? "" : value, StandardCharsets.UTF_8);
    }

    /** A link; {@code href} is built by the caller from literal paths and {@link #query} values. */
    public static String link(String href, String label) {
        return "<a href=\"" + text(href) + "\">" + text(label) + "</a>";
    }

    /**
     * A table with a caption (what a screen reader announces) and column headers; each row's cells are HTML the
     * caller built with these methods. An empty table says so in one row instead of showing nothing.
     */
    public static <T> String table(String caption, List<String> headers, List<T> rows, Function<T, List<String>> cells) {
        StringBuilder out = new StringBuilder("<table><caption>").append(text(caption)).append("</caption><thead><tr>");
        headers.forEach(h -> out.append("<th scope=\"col\">").append(text(h)).append("</th>"));
        out.append("</tr></thead><tbody>");
        if (rows.isEmpty()) {
            out.append("<tr><td colspan=\"").append(headers.size()).append("\" class=\"empty\">There are no items to show in this view.</td></tr>");
        }
        for (T row : rows) {
            out.append("<tr>");
            cells.apply(row).forEach(c -> out.append("<td>").append(c).append("</td>"));
            out.append("</tr>");
        }
        return out.append("</tbody></table>").toString();
    }

    /**
     * A form that POSTs one action, carrying the session's anti-forgery token; {@code fields} is HTML of its inputs
     * (each with a label), {@code button} the button's text.
     */
    public static String form(String action, String csrf, String fields, String button) {
        return "<form method=\"post\" action=\"" + text(action) + "\">" + hidden("csrf", csrf) + fields
                + "<button type=\"submit\">" + text(button) + "</button></form>";
    }

    public static String hidden(String name, String value) {
        return "<input type=\"hidden\" name=\"" + text(name) + "\" value=\"" + text(value) + "\">";
    }

    /** A labelled text input: the label is what a screen reader reads and what a test finds the field by. */
    public static String input(String id, String label, String value) {
        return "<label for=\"" + text(id) + "\">" + text(label) + "</label> <input id=\"" + text(id) + "\" name=\"" + text(id)
                + "\" value=\"" + text(value) + "\">";
    }

    /** A labelled drop-down; {@code options} are value and shown text pairs. */
    public static String select(String id, String label, List<String[]> options, String selected) {
        StringBuilder out = new StringBuilder("<label for=\"").append(text(id)).append("\">").append(text(label))
                .append("</label> <select id=\"").append(text(id)).append("\" name=\"").append(text(id)).append("\">");
        for (String[] o : options) {
            out.append("<option value=\"").append(text(o[0])).append('"').append(o[0].equals(selected) ? " selected" : "").append('>')
                    .append(text(o[1])).append("</option>");
        }
        return out.append("</select>").toString();
    }

    /** A definition list of label and value pairs, as a Properties dialog's fields; values are HTML. */
    public static String fields(List<String[]> pairs) {
        StringBuilder out = new StringBuilder("<dl class=\"fields\">");
        pairs.forEach(p -> out.append("<dt>").append(text(p[0])).append("</dt><dd>").append(p[1]).append("</dd>"));
        return out.append("</dl>").toString();
    }

    /** Tabs as links, the current one marked for screen readers ({@code aria-current}). */
    public static String tabs(String label, List<String[]> tabs, String current) {
        StringBuilder out = new StringBuilder("<nav class=\"tabs\" aria-label=\"").append(text(label)).append("\"><ul>");
        for (String[] t : tabs) {
            boolean here = t[0].equalsIgnoreCase(current);
            out.append("<li><a href=\"").append(text(t[1])).append('"').append(here ? " aria-current=\"page\"" : "").append('>')
                    .append(text(t[0])).append("</a></li>");
        }
        return out.append("</ul></nav>").toString();
    }

    /** A message box: {@code kind} is {@code error}, {@code ok} or {@code info}; errors are announced ({@code role=alert}). */
    public static String message(String kind, String text) {
        String role = kind.equals("error") ? " role=\"alert\"" : " role=\"status\"";
        return "<div class=\"message " + text(kind) + "\"" + role + ">" + text(text).replace("\n", "<br>") + "</div>";
    }
}
