#!/usr/bin/perl
# Perl's ZMQ::FFI (Debian's libzmq-ffi-perl) as a peer of the interop
# tests: trackfeed grew from a Perl system, whose scripts must keep working.
# It speaks the line formats of sub.py and pub.py:
#
#   peer.pl sub [--curve-server PUBLIC] ENDPOINT [PREFIX...]
#   peer.pl pub [--curve-secret SECRET] [--interval MS] ENDPOINT SCRIPT
#   peer.pl req [--curve-server PUBLIC] ENDPOINT FRAME...
#
# sub prints {"frames": [hex...], "text": [frames 0-3], "meta": frame 4}
# for each message; pub binds, prints {"endpoint": ...} and sends SCRIPT's
# messages in a loop, as pub.py does; req prints {"reply": [frames]} and
# exits. sub and pub run until they are killed.
use strict;
use warnings;
use Encode qw(decode FB_CROAK);
use JSON::PP;
use POSIX qw(strftime);
use Time::HiRes qw(time usleep);
use ZMQ::FFI qw(ZMQ_SUB ZMQ_PUB ZMQ_REQ ZMQ_LINGER ZMQ_LAST_ENDPOINT
  ZMQ_CURVE_SERVER ZMQ_CURVE_SERVERKEY ZMQ_CURVE_PUBLICKEY ZMQ_CURVE_SECRETKEY);

$| = 1;
my $json = JSON::PP->new->canonical->utf8;    # out and frame 4 are UTF-8 bytes
my ($mode, @args) = @ARGV;
my ($server_key, $server_secret, $interval) = ('', '', 5);
my @rest;
while (@args) {
    my $a = shift @args;
    if    ($a eq '--curve-server') { $server_key = shift @args }
    elsif ($a eq '--curve-secret') { $server_secret = shift @args }
    elsif ($a eq '--interval')     { $interval   = shift @args }
    else                           { push @rest, $a }
}

my $ctx = ZMQ::FFI->new;

sub out { print $json->encode($_[0]), "\n" }

# client_keys makes a socket a CURVE client of the server of key, with a
# key pair of its own made by libzmq.
sub client_keys {
    my ($sock) = @_;
    return unless $server_key;
    my ($public, $secret) = $ctx->curve_keypair;
    $sock->set(ZMQ_CURVE_SERVERKEY, 'string', $server_key);
    $sock->set(ZMQ_CURVE_PUBLICKEY, 'string', $public);
    $sock->set(ZMQ_CURVE_SECRETKEY, 'string', $secret);
}

sub describe {
    my @frames = @_;
    my %d = (frames => [map { unpack('H*', $_) } @frames]);
    eval {
        $d{text} = [map { decode('UTF-8', my $c = $_, FB_CROAK) } @frames[0 .. ($#frames < 3 ? $#frames : 3)]];
        $d{meta} = JSON::PP->new->decode(decode('UTF-8', my $c = $frames[4], FB_CROAK)) if @frames >= 5;
        1;
    } or do { $d{error} = "$@"; $d{error} =~ s/\s+$//; };
    return \%d;
}

sub encode_track {
    my ($track, $seq) = @_;
    my $now  = time;
    my $sent = strftime('%Y-%m-%dT%H:%M:%S', gmtime $now) . sprintf('.%06dZ', ($now - int $now) * 1e6);
    my %meta = (v => 1, seq => $seq, sent => $sent);
    $meta{$_} = $track->{$_} for qw(path track disc year genre album_artist);
    my %extra = %{ $track->{extra} // {} };
    @meta{ keys %extra } = values %extra;
    my @frames = map { Encode::encode('UTF-8', $track->{$_}) } qw(topic artist album title);
    push @frames, $json->encode(\%meta);
    push @frames, map { pack('H*', $_) } @{ $track->{extra_frames} // [] };
    return @frames;
}

if ($mode eq 'sub') {
    my ($endpoint, @prefixes) = @rest;
    my $s = $ctx->socket(ZMQ_SUB);
    $s->set(ZMQ_LINGER, 'int', 0);
    client_keys($s);
    $s->connect($endpoint);
    $s->subscribe($_) for @prefixes;
    while (1) { out(describe($s->recv_multipart)) }
} elsif ($mode eq 'pub') {
    my ($endpoint, $script) = @rest;
    open my $fh, '<:raw', $script or die "peer.pl: $script: $!\n";
    my $entries = JSON::PP->new->utf8->decode(do { local $/; <$fh> });
    my $s = $ctx->socket(ZMQ_PUB);
    $s->set(ZMQ_LINGER, 'int', 0);
    if ($server_secret) {
        $s->set(ZMQ_CURVE_SERVER,    'int',    1);
        $s->set(ZMQ_CURVE_SECRETKEY, 'string', $server_secret);
    }
    $s->bind($endpoint);
    out({ endpoint => $s->get(ZMQ_LAST_ENDPOINT, 'string') });
    for (my $seq = 1 ; ;) {
        for my $e (@$entries) {
            my @frames = $e->{track} ? encode_track($e->{track}, $seq++) : map { pack('H*', $_) } @{ $e->{frames} };
            $s->send_multipart(\@frames);
            usleep($interval * 1000);
        }
    }
} elsif ($mode eq 'req') {
    my ($endpoint, @frames) = @rest;
    my $s = $ctx->socket(ZMQ_REQ);
    $s->set(ZMQ_LINGER, 'int', 0);
    client_keys($s);
    $s->connect($endpoint);
    $s->send_multipart(\@frames);
    out({ reply => [map { decode('UTF-8', my $c = $_, FB_CROAK) } $s->recv_multipart] });
} else {
    die "peer.pl: unknown mode '$mode': want sub, pub or req\n";
}
