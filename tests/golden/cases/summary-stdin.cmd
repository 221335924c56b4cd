summary -
