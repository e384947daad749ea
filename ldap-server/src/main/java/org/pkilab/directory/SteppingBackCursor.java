package org.pkilab.directory;

import org.apache.directory.api.ldap.model.cursor.ClosureMonitor;
import org.apache.directory.api.ldap.model.cursor.CursorException;
import org.apache.directory.api.ldap.model.entry.Entry;
import org.apache.directory.api.ldap.model.exception.LdapException;
import org.apache.directory.server.core.api.filtering.EntryFilter;
import org.apache.directory.server.core.api.filtering.EntryFilteringCursor;
import org.apache.directory.server.core.api.interceptor.context.SearchOperationContext;

import java.io.IOException;
import java.util.Iterator;
import java.util.List;

/**
 * A search's results that can step back one entry without reading it again. ApacheDS looks one entry ahead and
 * steps back when it ends a page of paged results (1.2.840.113556.1.4.319) or checks that a sorted search
 * (1.2.840.113556.1.4.473) has results; its own cursor re-reads the entry when stepping back and fails doing so
 * when the request asked for no attributes ({@code 1.1}, what tools send to count or list DNs), so the page
 * ended without its cookie and ldap3's {@code paged_search} stopped after the first page. This cursor keeps the
 * entry it read ahead and gives it again, and passes everything else to ApacheDS's.
 */
final class SteppingBackCursor implements EntryFilteringCursor {

    private final EntryFilteringCursor results;
    private Entry before;
    private Entry current;
    /** The entry read ahead and stepped back over, which the next {@link #next()} gives again. */
    private Entry ahead;

    SteppingBackCursor(EntryFilteringCursor results) {
        this.results = results;
    }

    @Override
    public boolean next() throws LdapException, CursorException {
        if (ahead != null) {
            before = current;
            current = ahead;
            ahead = null;
            return true;
        }
        if (!results.next()) {
            before = current;
            current = null;
            return false;
        }
        before = current;
        current = results.get();
        return true;
    }

    @Override
    public boolean previous() throws LdapException, CursorException {
        if (current == null || ahead != null) {
            throw new CursorException("the results can step back one entry only");
        }
        ahead = current;
        current = before;
        before = null;
        return current != null;
    }

    @Override
    public Entry get() throws CursorException {
        if (current == null) {
            throw new CursorException("no entry here: before the first or after the last");
        }
        return current;
    }

    @Override
    public boolean available() {
        return current != null;
    }

    @Override
    public void beforeFirst() throws LdapException, CursorException {
        forget();
        results.beforeFirst();
    }

    @Override
    public void afterLast() throws LdapException, CursorException {
        forget();
        results.afterLast();
    }

    @Override
    public boolean first() throws LdapException, CursorException {
        beforeFirst();
        return next();
    }

    @Override
    public boolean last() throws LdapException, CursorException {
        forget();
        boolean found = results.last();
        current = found ? results.get() : null;
        return found;
    }

    @Override
    public void before(Entry element) throws LdapException, CursorException {
        forget();
        results.before(element);
    }

    @Override
    public void after(Entry element) throws LdapException, CursorException {
        forget();
        results.after(element);
    }

    private void forget() {
        before = null;
        current = null;
        ahead = null;
    }

    @Override
    public boolean isFirst() {
        return results.isFirst();
    }

    @Override
    public boolean isBeforeFirst() {
        return results.isBeforeFirst();
    }

    @Override
    public boolean isLast() {
        return results.isLast();
    }

    @Override
    public boolean isAfterLast() {
        return results.isAfterLast();
    }

    @Override
    public boolean isClosed() {
        return results.isClosed();
    }

    @Override
    public void close() throws IOException {
        results.close();
    }

    @Override
    public void close(Exception reason) throws IOException {
        results.close(reason);
    }

    @Override
    public void setClosureMonitor(ClosureMonitor monitor) {
        results.setClosureMonitor(monitor);
    }

    @Override
    public boolean addEntryFilter(EntryFilter filter) {
        return results.addEntryFilter(filter);
    }

    @Override
    public List<EntryFilter> getEntryFilters() {
        return results.getEntryFilters();
    }

    @Override
    public SearchOperationContext getOperationContext() {
        return results.getOperationContext();
    }

    @Override
    public Iterator<Entry> iterator() {
        return results.iterator();
    }

    @Override
    public String toString(String tabs) {
        return tabs + "stepping back one entry over:\n" + results.toString(tabs + "  ");
    }
}
