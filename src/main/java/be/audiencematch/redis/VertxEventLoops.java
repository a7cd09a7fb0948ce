package be.audiencematch.redis;

import io.lettuce.core.resource.EventLoopGroupProvider;
import io.netty.channel.EventLoopGroup;
import io.netty.util.concurrent.EventExecutorGroup;
import io.netty.util.concurrent.Future;
import io.netty.util.concurrent.ImmediateEventExecutor;
import io.vertx.core.Vertx;

import java.util.concurrent.TimeUnit;

/**
 * Runs Lettuce's I/O on Vert.x's own event loops: a request handled on the loop that also owns the Redis
 * connection sends and receives without any hand-over between threads. The loops belong to Vert.x, so Lettuce
 * never shuts them down.
 */
final class VertxEventLoops implements EventLoopGroupProvider {

    private final Vertx vertx;

    VertxEventLoops(Vertx vertx) {
        this.vertx = vertx;
    }

    @Override
    @SuppressWarnings("unchecked")
    public <T extends EventLoopGroup> T allocate(Class<T> type) {
        EventLoopGroup loops = vertx.nettyEventLoopGroup();
        if (!type.isInstance(loops)) {
            throw new IllegalStateException("Vert.x runs " + loops.getClass().getSimpleName() + ", Lettuce asks for "
                    + type.getSimpleName());
        }
        return (T) loops;
    }

    @Override
    public int threadPoolSize() {
        return Runtime.getRuntime().availableProcessors();
    }

    @Override
    public Future<Boolean> release(EventExecutorGroup group, long quietPeriod, long timeout, TimeUnit unit) {
        return ImmediateEventExecutor.INSTANCE.newSucceededFuture(true);
    }

    @Override
    public Future<Boolean> shutdown(long quietPeriod, long timeout, TimeUnit unit) {
        return ImmediateEventExecutor.INSTANCE.newSucceededFuture(true);
    }
}
