int registered = 1;
