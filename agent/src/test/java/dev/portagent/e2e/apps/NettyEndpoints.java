package dev.portagent.e2e.apps;

import io.netty.bootstrap.Bootstrap;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;

/**
 * A Netty NIO server and a client connected to it, held open. Netty binds, connects and accepts on its
 * event loop, so the site is a Netty frame: the first frame outside the JDK.
 */
final class NettyEndpoints {

    private NettyEndpoints() {
    }

    static void open(Expectations track, InetAddress address) throws Exception {
        EventLoopGroup group = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
        BlockingQueue<Channel> accepted = new LinkedBlockingQueue<>();
        Channel server = new ServerBootstrap().group(group).channel(NioServerSocketChannel.class)
                .childHandler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel channel) {
                        accepted.add(channel);
                    }
                })
                .bind(address, 0).sync().channel();
        Bootstrap clients = new Bootstrap().group(group).channel(NioSocketChannel.class)
                .handler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel channel) {
                        // a client that only connects
                    }
                });
        Channel client = clients.connect(server.localAddress()).sync().channel();
        accepted.take();

        int serverPort = ((InetSocketAddress) server.localAddress()).getPort();
        int clientPort = ((InetSocketAddress) client.localAddress()).getPort();
        expectConnection(track, serverPort, clientPort, "open");

        // Closed through Netty: the JDK channel is registered with the event loop's selector, so its fd
        // is released on the event loop after close() returns; the server closes its end on the EOF.
        Channel closedClient = clients.connect(server.localAddress()).sync().channel();
        Channel closedAccepted = accepted.take();
        int closedPort = ((InetSocketAddress) closedClient.localAddress()).getPort();
        closedClient.close().sync();
        closedAccepted.closeFuture().sync();
        KernelSockets.awaitReleased(serverPort, closedPort, Duration.ofMinutes(1));
        expectConnection(track, serverPort, closedPort, "closed");

        track.expect("Netty server").with("protocol", "tcp").with("role", "listen").with("localPort", serverPort)
                .with("remotePort", null).with("requestedPort", 0).with("ephemeral", true).with("state", "open")
                .with("siteStartsWith", "io.netty.");
    }

    private static void expectConnection(Expectations track, int serverPort, int clientPort, String state) {
        track.expect("Netty client").with("protocol", "tcp").with("role", "connect").with("localPort", clientPort)
                .with("remotePort", serverPort).with("requestedPort", 0).with("ephemeral", true)
                .with("state", state).with("siteStartsWith", "io.netty.");
        track.expect("Netty accepted").with("protocol", "tcp").with("role", "accept").with("localPort", serverPort)
                .with("remotePort", clientPort).with("requestedPort", 0).with("ephemeral", false)
                .with("state", state).with("siteStartsWith", "io.netty.");
    }
}
