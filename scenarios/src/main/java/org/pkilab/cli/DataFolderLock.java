package org.pkilab.cli;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * The one {@code pkilab up} a data folder may have at a time: an OS file lock on {@code pkilab-up.lock},
 * which holds the pid of the process that has it. A second {@code pkilab up} on the folder is told which
 * process holds it before it starts anything (the directory's and the CA database's own locks would only say
 * "locked by another directory service"); the OS lets go of the lock when that process ends, however it ends.
 */
final class DataFolderLock implements AutoCloseable {

    static final String FILE = "pkilab-up.lock";

    private final FileChannel channel;
    private final FileLock lock;

    private DataFolderLock(FileChannel channel, FileLock lock) {
        this.channel = channel;
        this.lock = lock;
    }

    /**
     * Takes the folder for this process, making the folder if needed.
     *
     * @throws LabControlClient.Failure naming the process that holds it
     */
    static DataFolderLock take(Path data) {
        Path file = data.resolve(FILE);
        FileChannel channel = null;
        try {
            org.pkilab.pki.Folders.createOwnerOnly(data); // 0700: the lab's keys and passwords live below it
            channel = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.READ, StandardOpenOption.WRITE);
            FileLock lock;
            try {
                lock = channel.tryLock();
            } catch (OverlappingFileLockException e) {
                lock = null; // this very process holds it
            }
            if (lock == null) {
                String pid = new String(Files.readAllBytes(file), StandardCharsets.US_ASCII).trim();
                channel.close();
                throw new LabControlClient.Failure("another 'pkilab up' " + (pid.isEmpty() ? "" : "(pid " + pid + ") ") + "is running on "
                        + data.toAbsolutePath() + "; use that lab (pkilab host list --data " + data + "), stop it (Ctrl-C in its terminal"
                        + (pid.isEmpty() ? "" : ", or kill " + pid) + ") first, or give another --data folder");
            }
            channel.truncate(0);
            channel.write(ByteBuffer.wrap((ProcessHandle.current().pid() + "\n").getBytes(StandardCharsets.US_ASCII)), 0);
            channel.force(false);
            return new DataFolderLock(channel, lock);
        } catch (IOException e) {
            if (channel != null) {
                try {
                    channel.close();
                } catch (IOException suppressed) {
                    e.addSuppressed(suppressed);
                }
            }
            throw new LabControlClient.Failure("cannot lock the data folder " + data.toAbsolutePath() + ": " + e.getMessage());
        }
    }

    @Override
    public void close() {
        try {
            lock.release();
            channel.close();
        } catch (IOException e) {
            // the process is ending; the OS lets go of the lock with it
        }
    }
}
