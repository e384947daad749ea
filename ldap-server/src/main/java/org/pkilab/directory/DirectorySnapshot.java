package org.pkilab.directory;

import org.apache.directory.api.ldap.model.entry.Entry;

import java.util.List;

/** A copy of every entry of a domain, parents first, taken by {@link DomainController#snapshot()}. */
public record DirectorySnapshot(List<Entry> entries) {

    public DirectorySnapshot {
        entries = List.copyOf(entries);
    }

    public int size() {
        return entries.size();
    }
}
